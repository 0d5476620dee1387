/**
 * A Graph answer before it is sent, and the error envelope Meta wraps its refusals in. Shared by
 * the Graph surface (graph-api.ts), Meta's username rules and the "status" fault, so every error
 * the sandbox makes up has Meta's shape (meta-errors.ts holds the real answers that do not).
 */
import { randomBytes } from "node:crypto";
import type { WebhookEvent } from "./webhooks.ts";

export interface GraphReply {
  status: number;
  body: unknown;
  /** Sent instead of JSON-encoding `body`, byte for byte. */
  rawBody?: string;
  /** Headers besides the ones Graph sends on every answer. */
  headers?: Record<string, string>;
  /** A webhook Meta would send because of this request (DELETE). */
  event?: WebhookEvent;
}

export interface GraphErrorFields {
  message: string;
  type: string;
  code: number;
  subcode?: number;
  details?: string;
  transient?: boolean;
}

/**
 * A Graph error envelope with a fresh fbtrace_id, as Meta sends it: `{ error: { message, type,
 * code, error_subcode?, is_transient?, error_data?: { messaging_product: "whatsapp", details },
 * fbtrace_id } }` with `httpStatus`.
 */
export function graphError(httpStatus: number, f: GraphErrorFields): GraphReply {
  const error: Record<string, unknown> = { message: f.message, type: f.type, code: f.code };
  if (f.subcode !== undefined) error.error_subcode = f.subcode;
  if (f.transient !== undefined) error.is_transient = f.transient;
  if (f.details !== undefined) error.error_data = { messaging_product: "whatsapp", details: f.details };
  error.fbtrace_id = randomBytes(17).toString("base64url");
  return { status: httpStatus, body: { error } };
}
