/**
 * What every `/v1` Lambda does around its one piece of work, in this order (each step before the
 * I/O of the next, as on the username routes): validate the path (no I/O), read the parameters,
 * authenticate the API key (a header or Graph's `access_token` parameter; the tenant is the
 * key's), refuse an oversized body, count the request against the tenant's read limit (every
 * authenticated `/v1` request counts, self-service included: rate-limit/tenant-read-limit.ts),
 * validate the parameters of a route that takes some (`body`: a JSON object, a form or the query
 * string, as request-parameters.ts reads them; 400 code 100 naming each field), and only then the
 * route's own checks, reads and writes. A route without `body` ignores a body within the size
 * limit. Answers are JSON with status 200; errors are Graph envelopes (http-handler.ts). Never a
 * call to Meta.
 */
import type { z } from "zod/mini";
import { authenticate } from "../auth/authenticate.ts";
import { enforceTenantReadLimit } from "../rate-limit/tenant-read-limit.ts";
import type { TenantRequest } from "../tenant-api/tenant-request.ts";
import { httpHandler } from "./http-handler.ts";
import { parsePathParameters } from "./request.ts";
import { accessTokenParameter, readParameters, validateParameters } from "./request-parameters.ts";
import { jsonResponse } from "./response.ts";

export interface TenantRouteOptions<B> {
  /** The parameters the route reads (POST /v1/...), validated after the key and the body's size. */
  body?: z.ZodMiniType<B>;
}

export function tenantRoute<P = Record<string, never>, B = undefined>(
  work: (request: TenantRequest<P, B>) => Promise<unknown>,
  pathSchema?: z.ZodMiniType<P>,
  options: TenantRouteOptions<B> = {},
) {
  return httpHandler(async ({ event }) => {
    const path = pathSchema ? parsePathParameters(event, pathSchema) : ({} as P);
    const parameters = await readParameters(event);
    const caller = await authenticate(event.headers ?? {}, accessTokenParameter(parameters));
    if (parameters.tooLarge) throw parameters.tooLarge;
    // The tenant's fair share (rate-limit/tenant-read-limit.ts): every authenticated request
    // counts, a refused one too (it cost a call and a key lookup); the counter is metering with a
    // TTL, not the tenant's data, and is the only write of a request refused as invalid.
    await enforceTenantReadLimit(caller.tenantId);
    const body = options.body ? validateParameters(parameters, options.body) : (undefined as B);
    return jsonResponse(200, await work({ caller, path, body, event }));
  });
}
