import { listPhoneNumbers } from "../core/tenant-api/phone-numbers.ts";
import { tenantRoute } from "../core/tenant-api/tenant-route.ts";

/** GET /v1/phone_numbers */
export const handler = tenantRoute(listPhoneNumbers);
