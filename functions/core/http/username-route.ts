/**
 * What every username Lambda does around its one domain call, in this order (each step before
 * the I/O of the next, docs/reliability.md): validate the path (no I/O), authenticate the API
 * key, check the body (size limit on every route; schema where the route takes one), then the
 * Idempotency-Key on POST and DELETE. Phone ownership and the rate limit are the domain's,
 * and come before Meta. Meta's answer goes back as it came.
 */
import type { z } from "zod/mini";
import { authenticateFor } from "../auth/authenticate.ts";
import type { GraphAnswer } from "../graph/client.ts";
import { requestFingerprint } from "../idempotency/fingerprint.ts";
import { idempotencyKeyOf } from "../idempotency/idempotency-key.ts";
import { runIdempotently } from "../idempotency/idempotent-request.ts";
import type { UsernameRequest } from "../usernames/username-service.ts";
import { pathParametersSchema } from "../validation/username-request.ts";
import { httpHandler } from "./http-handler.ts";
import { limitedBody, parseJsonBody, parsePathParameters } from "./request.ts";
import { rawJsonResponse } from "./response.ts";

export interface UsernameRouteOptions<B> {
  /** The route's JSON body (POST); routes without one ignore any body within the size limit. */
  body?: z.ZodMiniType<B>;
  /** Honour `Idempotency-Key` (POST and DELETE); GETs are idempotent anyway and ignore it. */
  idempotent?: boolean;
}

export function usernameRoute<B = undefined>(
  operation: (request: UsernameRequest, body: B) => Promise<GraphAnswer>,
  options: UsernameRouteOptions<B> = {},
) {
  return httpHandler(async (http) => {
    const path = parsePathParameters(http.event, pathParametersSchema);
    const headers = http.event.headers ?? {};
    // An uncached key is read together with the phone number: one round trip for both.
    const { caller, phone } = await authenticateFor(headers, path.phone_number_id);
    let body: B | undefined;
    if (options.body) body = parseJsonBody(http.event, options.body);
    else limitedBody(http.event);
    const key = options.idempotent ? idempotencyKeyOf(headers) : undefined;

    const request: UsernameRequest = {
      caller,
      version: path.version,
      phoneNumberId: path.phone_number_id,
      requestId: http.requestId,
      deadline: http.deadline,
      invocationEnd: Date.now() + http.context.getRemainingTimeInMillis(),
      ...(phone !== undefined ? { prefetchedPhone: phone } : {}),
    };
    const execute = async () => {
      const answer = await operation(request, body as B);
      return rawJsonResponse(answer.status, answer.raw);
    };
    if (key === undefined) return execute();
    return runIdempotently(
      {
        key,
        tenantId: caller.tenantId,
        phoneNumberId: request.phoneNumberId,
        fingerprint: requestFingerprint(http.event.requestContext.http.method, request.version, body),
        requestId: http.requestId,
        lockedUntil: Date.now() + http.context.getRemainingTimeInMillis(),
      },
      execute,
    );
  });
}
