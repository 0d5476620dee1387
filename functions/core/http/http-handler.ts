/**
 * The middy stack every HTTP Lambda shares: correlation id = API Gateway request id, every
 * error as a Graph-style envelope, security headers on every answer, HEAD answered as the GET
 * without its body. Handlers only return responses or throw `GraphError`s.
 */
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { GraphError, graphErrors } from "../errors/graph-error.ts";
import { logger } from "../logger.ts";
import { isTransientStoreError, storageFailure } from "../store/store-errors.ts";
import { type ApiResponse, jsonResponse, SECURITY_HEADERS } from "./response.ts";

export interface HttpRequest {
  event: APIGatewayProxyEventV2;
  context: Context;
  requestId: string;
  /** Epoch ms after which no upstream call may still be running (the Lambda's own deadline). */
  deadline: number;
}

export type HttpRoute = (request: HttpRequest) => Promise<ApiResponse>;

/** Lambda keeps this much for writing state and answering after an upstream call. */
const DEADLINE_RESERVE_MS = 1_000;

/** middy's early-timeout error: same name as the SDK's socket timeout, but not a storage fault. */
function isLambdaDeadline(error: unknown): boolean {
  const cause = (error as { cause?: { package?: string } })?.cause;
  return (error as Error)?.name === "TimeoutError" && cause?.package === "@middy/core";
}

export function errorResponse(error: unknown, requestId: string | undefined): ApiResponse {
  if (error instanceof GraphError) {
    const response = jsonResponse(error.status, error.toBody(requestId));
    Object.assign(response.headers, error.headers);
    return response;
  }
  if (isLambdaDeadline(error)) {
    logger.error("invocation ran out of time");
    return jsonResponse(
      504,
      graphErrors.upstreamUnavailable(504, "the request ran out of time").toBody(requestId),
    );
  }
  if (isTransientStoreError(error)) {
    logger.error("storage unavailable", storageFailure(error));
    return jsonResponse(
      503,
      graphErrors.upstreamUnavailable(503, "storage temporarily unavailable").toBody(requestId),
    );
  }
  // Only the error's kind and message: never the request, its headers or any secret.
  logger.error("unhandled error", {
    errorName: (error as Error)?.name,
    errorMessage: (error as Error)?.message,
  });
  return jsonResponse(500, graphErrors.internal().toBody(requestId));
}

/**
 * HEAD (API Gateway routes it to the GET's function, infra/api.ts; so does the local gateway): the
 * GET's status and headers, with `content-length` the byte length of the body GET would send,
 * and no body.
 */
export function withoutBodyForHead(event: APIGatewayProxyEventV2, response: ApiResponse): ApiResponse {
  if (event.requestContext?.http?.method !== "HEAD") return response;
  const body = typeof response.body === "string" ? response.body : "";
  const bytes = response.isBase64Encoded ? Buffer.from(body, "base64").length : Buffer.byteLength(body);
  const { isBase64Encoded: _, ...rest } = response;
  return { ...rest, headers: { ...response.headers, "content-length": String(bytes) }, body: "" };
}

function requestIdOf(event: APIGatewayProxyEventV2, context: Context): string {
  return event.requestContext?.requestId ?? context.awsRequestId;
}

export function httpHandler(route: HttpRoute) {
  return middy<APIGatewayProxyEventV2, ApiResponse>()
    .use({
      before: ({ event, context }) => {
        logger.addContext(context);
        logger.setCorrelationId(requestIdOf(event, context));
      },
      after: (request) => {
        if (request.response) {
          Object.assign(request.response.headers, SECURITY_HEADERS);
          request.response = withoutBodyForHead(request.event, request.response);
        }
        logger.resetKeys();
      },
      onError: (request) => {
        request.response = errorResponse(request.error, requestIdOf(request.event, request.context));
        Object.assign(request.response.headers, SECURITY_HEADERS);
        request.response = withoutBodyForHead(request.event, request.response);
        logger.resetKeys();
      },
    })
    .handler((event, context) =>
      route({
        event,
        context,
        requestId: requestIdOf(event, context),
        deadline: Date.now() + Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_RESERVE_MS),
      }),
    );
}
