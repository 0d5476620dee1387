/** What a `/v1` route's work receives from the HTTP layer (http/tenant-route.ts). */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { Caller } from "../auth/authenticate.ts";

export interface TenantRequest<P, B = undefined> {
  /** The tenant and key the request's API key stands for. */
  caller: Caller;
  /** The validated path parameters. */
  path: P;
  /** The validated parameters of a route that takes some (POST): undefined for the others. */
  body: B;
  /** The API Gateway event: the read takes its query string (paging) from it. */
  event: APIGatewayProxyEventV2;
}
