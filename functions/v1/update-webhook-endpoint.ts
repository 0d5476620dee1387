import { tenantRoute } from "../core/http/tenant-route.ts";
import { updateWebhookEndpoint } from "../core/tenant-api/webhook-endpoint-settings.ts";
import { endpointPathSchema } from "../core/validation/self-service.ts";
import { updateEndpointBodySchema } from "../core/validation/self-service-bodies.ts";

/** POST /v1/webhook_endpoints/{id} */
export const handler = tenantRoute(updateWebhookEndpoint, endpointPathSchema, {
  body: updateEndpointBodySchema,
});
