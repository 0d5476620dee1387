import { tenantRoute } from "../core/http/tenant-route.ts";
import { listUsernameHistory } from "../core/tenant-api/username-history.ts";
import { phoneNumberPathSchema } from "../core/validation/tenant-api.ts";

/** GET /v1/phone_numbers/{phone_number_id}/username_history */
export const handler = tenantRoute(listUsernameHistory, phoneNumberPathSchema);
