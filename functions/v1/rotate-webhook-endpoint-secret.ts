import { tenantRoute } from "../core/http/tenant-route.ts";
import { rotateWebhookEndpointSecret } from "../core/tenant-api/webhook-endpoints.ts";
import { endpointPathSchema, rotateSecretBodySchema } from "../core/validation/self-service.ts";

/** POST /v1/webhook_endpoints/{id}/rotate_secret */
export const handler = tenantRoute(rotateWebhookEndpointSecret, endpointPathSchema, {
  body: rotateSecretBodySchema,
});
