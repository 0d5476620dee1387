import { tenantRoute } from "../core/http/tenant-route.ts";
import { listApiKeys } from "../core/tenant-api/api-keys.ts";

/** GET /v1/api_keys */
export const handler = tenantRoute(listApiKeys);
