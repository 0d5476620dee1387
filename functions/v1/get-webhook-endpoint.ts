import { tenantRoute } from "../core/http/tenant-route.ts";
import { getWebhookEndpoint } from "../core/tenant-api/webhook-endpoints.ts";
import { endpointPathSchema } from "../core/validation/self-service.ts";

/** GET /v1/webhook_endpoints/{id} */
export const handler = tenantRoute(getWebhookEndpoint, endpointPathSchema);
