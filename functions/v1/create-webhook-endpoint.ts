import { tenantRoute } from "../core/http/tenant-route.ts";
import { createWebhookEndpoint } from "../core/tenant-api/webhook-endpoint-settings.ts";
import { createEndpointBodySchema } from "../core/validation/self-service-bodies.ts";

/** POST /v1/webhook_endpoints */
export const handler = tenantRoute(createWebhookEndpoint, undefined, { body: createEndpointBodySchema });
