/**
 * What every username Lambda does around its one domain call, in this order (each step before
 * the I/O of the next, docs/reliability.md): validate the path (no I/O), read the parameters
 * (query string and body: request-parameters.ts), authenticate the API key (a header, or the
 * `access_token` parameter), refuse a body over the size limit (every route), validate the
 * parameters where the route takes some, then the Idempotency-Key on POST and DELETE. Phone
 * ownership and the rate limit are the domain's, and come before Meta. Meta's answer goes back
 * as it came, with the response headers clients act on.
 */
import type { z } from "zod/mini";
import { authenticateFor } from "../auth/authenticate.ts";
import type { GraphAnswer } from "../graph/client.ts";
import { requestFingerprint } from "../idempotency/fingerprint.ts";
import { idempotencyKeyOf } from "../idempotency/idempotency-key.ts";
import { runIdempotently } from "../idempotency/idempotent-request.ts";
import type { UsernameRequest } from "../usernames/username-service.ts";
import { methodOverrideSchema, pathParametersSchema } from "../validation/username-request.ts";
import { httpHandler } from "./http-handler.ts";
import { parsePathParameters } from "./request.ts";
import { accessTokenParameter, readParameters, validateParameters } from "./request-parameters.ts";
import { rawJsonResponse } from "./response.ts";

export interface UsernameRouteOptions<B> {
  /** The parameters the route reads (POST); other routes ignore parameters but `access_token`. */
  body?: z.ZodMiniType<B>;
  /** Honour `Idempotency-Key` (POST and DELETE); GETs are idempotent anyway and ignore it. */
  idempotent?: boolean;
  /**
   * Graph's `method=delete` parameter on a POST, for clients that cannot send DELETE (fbgraph's
   * `del`, Graph's JavaScript SDK): the operation that DELETE on the same path runs.
   */
  deleteOverride?: (request: UsernameRequest) => Promise<GraphAnswer>;
  /** Graph's `method=get` on a POST: the read that GET on the same path runs (no body, no key). */
  getOverride?: (request: UsernameRequest) => Promise<GraphAnswer>;
}

export function usernameRoute<B = undefined>(
  operation: (request: UsernameRequest, body: B) => Promise<GraphAnswer>,
  options: UsernameRouteOptions<B> = {},
) {
  return httpHandler(async (http) => {
    const path = parsePathParameters(http.event, pathParametersSchema);
    const headers = http.event.headers ?? {};
    const parameters = await readParameters(http.event);
    // An uncached key is read together with the phone number: one round trip for both.
    const { caller, phone } = await authenticateFor(
      headers,
      path.phone_number_id,
      accessTokenParameter(parameters),
    );
    if (parameters.tooLarge) throw parameters.tooLarge;

    let method = http.event.requestContext.http.method;
    let run = (request: UsernameRequest, body: B | undefined) => operation(request, body as B);
    let body: B | undefined;
    const overridable = options.deleteOverride ?? options.getOverride;
    const override = overridable ? validateParameters(parameters, methodOverrideSchema).method : undefined;
    if (options.deleteOverride && override === "delete") {
      const deleteOperation = options.deleteOverride;
      method = "DELETE";
      run = (request) => deleteOperation(request);
    } else if (options.getOverride && override === "get") {
      const getOperation = options.getOverride;
      method = "GET";
      run = (request) => getOperation(request);
    } else if (options.body) {
      body = validateParameters(parameters, options.body);
    }
    const key = options.idempotent && method !== "GET" ? idempotencyKeyOf(headers) : undefined;

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
      const answer = await run(request, body);
      const response = rawJsonResponse(answer.status, answer.raw);
      Object.assign(response.headers, answer.headers);
      return response;
    };
    if (key === undefined) return execute();
    return runIdempotently(
      {
        key,
        tenantId: caller.tenantId,
        phoneNumberId: request.phoneNumberId,
        fingerprint: requestFingerprint(method, request.version, body),
        requestId: http.requestId,
        lockedUntil: Date.now() + http.context.getRemainingTimeInMillis(),
      },
      execute,
    );
  });
}
