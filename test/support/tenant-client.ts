/**
 * The tenant API (`/v1`) as a browser or a backend calls it, over real HTTP through a test
 * file's local gateway (test/support/event-pipeline.ts): JSON in, JSON out, the API key in
 * `X-API-Key`. Answers keep their raw text, so tests can look for what must never appear in it.
 */
import type { EventPipeline } from "./event-pipeline.ts";

export interface TenantAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON answers, checked field by field by each test.
  json: any;
  text: string;
  headers: Headers;
}

export interface TenantCall {
  /** Sent as `X-API-Key` when given. */
  apiKey?: string;
  /** Serialised as JSON (`Content-Type: application/json`); a string or Buffer is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type TenantClient = (method: string, path: string, call?: TenantCall) => Promise<TenantAnswer>;

export function tenantClient(pipeline: EventPipeline): TenantClient {
  return async (method, path, call = {}) => {
    const headers: Record<string, string> = { ...call.headers };
    if (call.apiKey !== undefined) headers["x-api-key"] = call.apiKey;
    let body: string | Buffer | undefined;
    if (typeof call.body === "string" || Buffer.isBuffer(call.body)) body = call.body;
    else if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers["content-type"] ??= "application/json";
    }
    const url = path.startsWith("http") ? path : `${pipeline.gateway.url}${path}`;
    const response = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text, headers: response.headers };
  };
}

/** The error of an answer without its request id, which differs between any two requests. */
// biome-ignore lint/suspicious/noExplicitAny: a parsed Graph error envelope.
export function errorWithoutTrace(json: any): Record<string, unknown> {
  const { fbtrace_id: _, ...error } = json?.error ?? {};
  return error;
}
