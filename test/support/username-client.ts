/** Drives the four username Lambdas with real API Gateway v2 events. */
import { handler as claimUsername } from "../../functions/username-api/claim-username.ts";
import { handler as deleteUsername } from "../../functions/username-api/delete-username.ts";
import { handler as getUsername } from "../../functions/username-api/get-username.ts";
import { handler as getSuggestions } from "../../functions/username-api/get-username-suggestions.ts";
import { type Answer, apiEvent, type Handler, invoke, lambdaContext } from "./lambda.ts";

export type Operation = "get" | "suggestions" | "claim" | "delete";

export const USERNAME_ROUTES: Record<Operation, { method: string; path: string; handler: Handler }> = {
  get: { method: "GET", path: "/meta/whatsapp/{version}/{phone_number_id}/username", handler: getUsername },
  suggestions: {
    method: "GET",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username_suggestions",
    handler: getSuggestions,
  },
  claim: {
    method: "POST",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: claimUsername,
  },
  delete: {
    method: "DELETE",
    path: "/meta/whatsapp/{version}/{phone_number_id}/username",
    handler: deleteUsername,
  },
};

export interface CallOptions {
  apiKey?: string;
  /** Send the key as `Authorization: Bearer` instead of X-API-Key. */
  bearer?: boolean;
  headers?: Record<string, string>;
  version?: string;
  /** A JSON-serialisable body, or a raw string sent as is. */
  body?: unknown;
  rawBody?: string | Buffer;
  base64?: boolean;
  remainingMs?: number;
  /** The query string, exactly as a client would send it (`username=a&access_token=…`). */
  rawQuery?: string;
}

export function callUsernameApi(
  operation: Operation,
  phoneNumberId: string,
  options: CallOptions = {},
): Promise<Answer> {
  const route = USERNAME_ROUTES[operation];
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) {
    if (options.bearer) headers.authorization = `Bearer ${options.apiKey}`;
    else headers["x-api-key"] = options.apiKey;
  }
  let body: string | Buffer | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] = "application/json";
  }
  const event = apiEvent({
    method: route.method,
    routePath: route.path,
    pathParameters: { version: options.version ?? "v24.0", phone_number_id: phoneNumberId },
    headers,
    ...(body !== undefined ? { body } : {}),
    ...(options.base64 ? { base64: true } : {}),
    ...(options.rawQuery !== undefined ? { rawQuery: options.rawQuery } : {}),
  });
  return invoke(route.handler, event, lambdaContext(options.remainingMs ?? 30_000));
}
