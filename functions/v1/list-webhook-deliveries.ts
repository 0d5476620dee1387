import { tenantRoute } from "../core/http/tenant-route.ts";
import { listWebhookDeliveries } from "../core/tenant-api/webhook-endpoints.ts";
import { endpointPathSchema } from "../core/validation/self-service.ts";

/** GET /v1/webhook_endpoints/{id}/deliveries */
export const handler = tenantRoute(listWebhookDeliveries, endpointPathSchema);
