/**
 * What every username Lambda does before and after its one domain call: validate the path
 * (before any I/O), authenticate the API key, and answer with Meta's answer as it came.
 */
import { authenticate } from "../auth/authenticate.ts";
import type { GraphAnswer } from "../graph/client.ts";
import type { UsernameRequest } from "../usernames/username-service.ts";
import { pathParametersSchema } from "../validation/username-request.ts";
import { type HttpRequest, httpHandler } from "./http-handler.ts";
import { parsePathParameters } from "./request.ts";
import { rawJsonResponse } from "./response.ts";

export function usernameRoute(
  operation: (request: UsernameRequest, http: HttpRequest) => Promise<GraphAnswer>,
) {
  return httpHandler(async (http) => {
    const path = parsePathParameters(http.event, pathParametersSchema);
    const caller = await authenticate(http.event.headers ?? {});
    const answer = await operation(
      {
        caller,
        version: path.version,
        phoneNumberId: path.phone_number_id,
        requestId: http.requestId,
        deadline: http.deadline,
      },
      http,
    );
    return rawJsonResponse(answer.status, answer.raw);
  });
}
