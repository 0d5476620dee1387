/**
 * What every `/v1` Lambda does around its one piece of work, in this order (each step before the
 * I/O of the next, as on the username routes): validate the path (no I/O), read the parameters,
 * authenticate the API key (a header or Graph's `access_token` parameter; the tenant is the
 * key's), refuse an oversized body, then validate the parameters of a route that takes some
 * (`body`: a JSON object, a form or the query string, as request-parameters.ts reads them; 400
 * code 100 naming each field), and only then the route's own checks, reads and writes. A route
 * without `body` ignores a body within the size limit. Answers are JSON with status 200; errors
 * are Graph envelopes (http-handler.ts). Never a call to Meta.
 */
import type { z } from "zod/mini";
import { authenticate } from "../auth/authenticate.ts";
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
    const body = options.body ? validateParameters(parameters, options.body) : (undefined as B);
    return jsonResponse(200, await work({ caller, path, body, event }));
  });
}
