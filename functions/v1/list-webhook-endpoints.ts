import { tenantRoute } from "../core/http/tenant-route.ts";
import { listWebhookEndpoints } from "../core/tenant-api/webhook-endpoints.ts";

/** GET /v1/webhook_endpoints */
export const handler = tenantRoute(listWebhookEndpoints);
