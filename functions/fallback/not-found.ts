import { graphErrors } from "../core/errors/graph-error.ts";
import { httpHandler } from "../core/http/http-handler.ts";

/** API Gateway's `$default` route (infra/routes.ts `fallbackRoute`): a Graph-style 404. */
export const handler = httpHandler(async ({ event }) => {
  // Bounded: the path is the client's and only echoed to help them find the typo.
  throw graphErrors.notFound(event.requestContext.http.method, event.rawPath.slice(0, 200));
});
