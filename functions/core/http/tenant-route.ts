/**
 * What every `/v1` Lambda does around its one read, in this order (each step before the I/O of
 * the next, as on the username routes): validate the path (no I/O), read the parameters,
 * authenticate the API key (a header or Graph's `access_token` parameter; the tenant is the
 * key's), refuse an oversized body, count the read against the tenant's read limit, then the
 * route's own query checks and its read. Never a call to Meta.
 */
import type { z } from "zod/mini";
import { authenticate } from "../auth/authenticate.ts";
import { enforceTenantReadLimit } from "../rate-limit/tenant-read-limit.ts";
import type { TenantRequest } from "../tenant-api/tenant-request.ts";
import { httpHandler } from "./http-handler.ts";
import { parsePathParameters } from "./request.ts";
import { accessTokenParameter, readParameters } from "./request-parameters.ts";
import { jsonResponse } from "./response.ts";

export function tenantRoute<P = Record<string, never>>(
  read: (request: TenantRequest<P>) => Promise<unknown>,
  pathSchema?: z.ZodMiniType<P>,
) {
  return httpHandler(async ({ event }) => {
    const path = pathSchema ? parsePathParameters(event, pathSchema) : ({} as P);
    const parameters = await readParameters(event);
    const caller = await authenticate(event.headers ?? {}, accessTokenParameter(parameters));
    if (parameters.tooLarge) throw parameters.tooLarge;
    // The tenant's fair share of reads (rate-limit/tenant-read-limit.ts): refused before any read.
    await enforceTenantReadLimit(caller.tenantId);
    return jsonResponse(200, await read({ caller, path, event }));
  });
}
