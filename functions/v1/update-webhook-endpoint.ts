import { tenantRoute } from "../core/http/tenant-route.ts";
import { updateWebhookEndpoint } from "../core/tenant-api/webhook-endpoints.ts";
import { endpointPathSchema, updateEndpointBodySchema } from "../core/validation/self-service.ts";

/** POST /v1/webhook_endpoints/{id} */
export const handler = tenantRoute(updateWebhookEndpoint, endpointPathSchema, {
  body: updateEndpointBodySchema,
});
