import { tenantRoute } from "../core/http/tenant-route.ts";
import { redeliverWebhookEvent } from "../core/tenant-api/webhook-endpoints.ts";
import { endpointEventPathSchema } from "../core/validation/self-service.ts";

/** POST /v1/webhook_endpoints/{id}/deliveries/{event_id}/redeliver */
export const handler = tenantRoute(redeliverWebhookEvent, endpointEventPathSchema);
