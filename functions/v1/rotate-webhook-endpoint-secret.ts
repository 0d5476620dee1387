import { tenantRoute } from "../core/http/tenant-route.ts";
import { rotateWebhookEndpointSecret } from "../core/tenant-api/webhook-endpoints.ts";
import { endpointPathSchema } from "../core/validation/self-service.ts";
import { rotateSecretBodySchema } from "../core/validation/self-service-bodies.ts";

/** POST /v1/webhook_endpoints/{id}/rotate_secret */
export const handler = tenantRoute(rotateWebhookEndpointSecret, endpointPathSchema, {
  body: rotateSecretBodySchema,
});
