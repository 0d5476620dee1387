import { tenantRoute } from "../core/http/tenant-route.ts";
import { listPhoneNumbers } from "../core/tenant-api/phone-numbers.ts";

/** GET /v1/phone_numbers */
export const handler = tenantRoute(listPhoneNumbers);
