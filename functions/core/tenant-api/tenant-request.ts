/** What a `/v1` read receives from the HTTP layer (http/tenant-route.ts). */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { Caller } from "../auth/authenticate.ts";

export interface TenantRequest<P> {
  /** The tenant and key the request's API key stands for. */
  caller: Caller;
  /** The validated path parameters. */
  path: P;
  /** The API Gateway event: the read takes its query string (paging) from it. */
  event: APIGatewayProxyEventV2;
}
