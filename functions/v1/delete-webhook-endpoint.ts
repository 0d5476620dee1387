import { tenantRoute } from "../core/http/tenant-route.ts";
import { deleteWebhookEndpoint } from "../core/tenant-api/webhook-endpoints.ts";
import { endpointPathSchema } from "../core/validation/self-service.ts";

/** DELETE /v1/webhook_endpoints/{id} */
export const handler = tenantRoute(deleteWebhookEndpoint, endpointPathSchema);
