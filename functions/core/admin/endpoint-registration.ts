/**
 * Registers a tenant's webhook endpoint (`wau-admin webhook add`, `POST /v1/webhook_endpoints`):
 * the URL rules, the tenant's endpoint limit, a sealed secret returned this once. Apart from the
 * rest of admin/webhooks.ts because the URL rules load ipaddr.js (tenant-webhooks/endpoint-url.ts):
 * the functions that only read or remove endpoints never load it (docs/benchmarks.md, cold start).
 */
import { randomBytes } from "node:crypto";
import { retryOnConflict } from "../concurrency.ts";
import { config } from "../config.ts";
import {
  createEndpoint,
  EndpointListChangedError,
  listEndpointsWithVersion,
  type WebhookEndpoint,
} from "../store/webhook-endpoints.ts";
import { sealEndpointSecret } from "../tenant-webhooks/endpoint-secret.ts";
import { endpointUrlProblem } from "../tenant-webhooks/endpoint-url.ts";
import { newEndpointSecret } from "../tenant-webhooks/webhook-signature.ts";
import {
  EndpointContentionError,
  EndpointLimitError,
  type EndpointSettings,
  type IssuedEndpoint,
  WebhookAdminError,
} from "./webhooks.ts";

/**
 * A new endpoint of the tenant, after the URL rules and the tenant's endpoint limit
 * (EndpointLimitError): its secret is sealed, and returned this once. Its event types (`--types`,
 * the tenant API's `event_types`) and `description` (the tenant API's) are stored with it.
 */
export async function addEndpoint(
  tenantId: string,
  url: string,
  options: EndpointSettings = {},
): Promise<IssuedEndpoint> {
  const problem = endpointUrlProblem(url, config.allowsLoopbackWebhooks());
  if (problem) throw new WebhookAdminError(`--url ${problem}`);
  const limit = config.webhookEndpointsPerTenant();
  const id = `ep_${randomBytes(10).toString("hex")}`;
  const secret = newEndpointSecret();
  const endpoint: WebhookEndpoint = {
    id,
    tenantId,
    url,
    secretSealed: sealEndpointSecret(secret, id),
    createdAt: new Date().toISOString(),
    ...(options.description ? { description: options.description } : {}),
    ...(options.eventTypes ? { eventTypes: [...new Set(options.eventTypes)] } : {}),
  };
  // Each try checks the limit on the list it read and commits only if that list is still the
  // tenant's: concurrent creations cannot together pass it. Every conflict is another creation
  // committed, so at most `limit` of them happen before the check refuses.
  await retryOnConflict(
    limit + 8,
    (error) => error instanceof EndpointListChangedError,
    () => new EndpointContentionError("concurrent changes to the tenant's webhook endpoints: retry"),
    async () => {
      const { endpoints, version } = await listEndpointsWithVersion(tenantId);
      if (endpoints.length >= limit) throw new EndpointLimitError(tenantId, limit);
      await createEndpoint(endpoint, version);
    },
  );
  return { id, url, secret };
}
