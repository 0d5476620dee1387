/**
 * The tenant's routes that set where an endpoint sends and what it receives:
 * `POST /v1/webhook_endpoints` and `POST /v1/webhook_endpoints/{id}` (docs/spec.md, "Self-service:
 * webhook endpoints and API keys"). Apart from webhook-endpoints.ts because their URL rules load
 * ipaddr.js (tenant-webhooks/endpoint-url.ts): the routes that read, rotate or remove never load
 * it (docs/benchmarks.md, cold start).
 */
import { addEndpoint } from "../admin/endpoint-registration.ts";
import {
  EndpointContentionError,
  EndpointLimitError,
  type IssuedEndpoint,
  updateTenantEndpoint,
} from "../admin/webhooks.ts";
import { config } from "../config.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { endpointUrlProblem } from "../tenant-webhooks/endpoint-url.ts";
import type { EndpointPath } from "../validation/self-service.ts";
import type { CreateEndpointBody, UpdateEndpointBody } from "../validation/self-service-bodies.ts";
import type { TenantRequest } from "./tenant-request.ts";
import { ownedEndpoint, webhookEndpointView } from "./webhook-endpoints.ts";

/**
 * `POST /v1/webhook_endpoints`: the URL rules (no I/O), the tenant's endpoint limit, then the
 * endpoint with its signing secret, shown this once.
 */
export async function createWebhookEndpoint({ caller, body }: TenantRequest<unknown, CreateEndpointBody>) {
  const problem = endpointUrlProblem(body.url, config.allowsLoopbackWebhooks());
  if (problem) throw graphErrors.invalidParameter(`Invalid parameter: url ${problem}`, `url ${problem}`);
  let issued: IssuedEndpoint;
  try {
    issued = await addEndpoint(caller.tenantId, body.url, {
      ...(body.description ? { description: body.description } : {}),
      ...(body.event_types ? { eventTypes: body.event_types } : {}),
    });
  } catch (error) {
    if (error instanceof EndpointLimitError) {
      throw graphErrors.invalidParameter(
        `This tenant has ${error.limit} webhook endpoints, the most it may have: remove one first`,
        "remove an endpoint (DELETE /v1/webhook_endpoints/{id}) before adding another",
      );
    }
    if (error instanceof EndpointContentionError) {
      throw graphErrors.upstreamUnavailable(
        503,
        "other changes to this tenant's webhook endpoints are in progress: retry",
      );
    }
    throw error;
  }
  const endpoint = await ownedEndpoint(caller.tenantId, issued.id);
  return { ...webhookEndpointView(endpoint), secret: issued.secret };
}

/**
 * `POST /v1/webhook_endpoints/{id}`: sets the endpoint's `url` (the rules of a new endpoint's),
 * `event_types` and/or `description` (an empty description removes it). The events already handed
 * to it are delivered as they were, each attempt to the URL the endpoint has when it is made.
 */
export async function updateWebhookEndpoint({
  caller,
  path,
  body,
}: TenantRequest<EndpointPath, UpdateEndpointBody>) {
  if (body.url !== undefined) {
    const problem = endpointUrlProblem(body.url, config.allowsLoopbackWebhooks());
    if (problem) throw graphErrors.invalidParameter(`Invalid parameter: url ${problem}`, `url ${problem}`);
  }
  const updated = await updateTenantEndpoint(caller.tenantId, path.id, {
    ...(body.url !== undefined ? { url: body.url } : {}),
    ...(body.event_types ? { eventTypes: body.event_types } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
  });
  if (!updated) throw graphErrors.objectNotAccessible(path.id);
  return webhookEndpointView(updated);
}
