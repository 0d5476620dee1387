import { tenantRoute } from "../core/http/tenant-route.ts";
import { getPhoneNumber } from "../core/tenant-api/phone-numbers.ts";
import { phoneNumberPathSchema } from "../core/validation/tenant-api.ts";

/** GET /v1/phone_numbers/{phone_number_id} */
export const handler = tenantRoute(getPhoneNumber, phoneNumberPathSchema);
