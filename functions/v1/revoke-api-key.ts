import { tenantRoute } from "../core/http/tenant-route.ts";
import { revokeApiKey } from "../core/tenant-api/api-keys.ts";
import { apiKeyPathSchema } from "../core/validation/self-service.ts";

/** DELETE /v1/api_keys/{id} */
export const handler = tenantRoute(revokeApiKey, apiKeyPathSchema);
