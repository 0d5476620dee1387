import { tenantRoute } from "../core/http/tenant-route.ts";
import { createApiKey } from "../core/tenant-api/api-keys.ts";
import { createApiKeyBodySchema } from "../core/validation/self-service-bodies.ts";

/** POST /v1/api_keys */
export const handler = tenantRoute(createApiKey, undefined, { body: createApiKeyBodySchema });
