/**
 * Drives the webhook Lambda: directly with signed API Gateway events, or over HTTP through a
 * small receiver that turns the sandbox's real deliveries into API Gateway events.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handler } from "../../functions/meta-webhook/meta-webhook.ts";
import { buildWebhookPayload, signWebhookBody, type WebhookEvent } from "../../meta-sandbox/index.ts";
import { type Answer, apiEvent, invoke, lambdaContext } from "./lambda.ts";

export const APP_SECRET = "test-app-secret-for-webhooks";
export const VERIFY_TOKEN = "test-verify-token";
const WEBHOOK_PATH = "/meta/whatsapp/webhook";

export function configureWebhookSecrets(): void {
  process.env.META_APP_SECRET = APP_SECRET;
  process.env.META_VERIFY_TOKEN = VERIFY_TOKEN;
}

export interface PostOptions {
  signature?: string | null;
  secret?: string;
  base64?: boolean;
  headers?: Record<string, string>;
  /** The invocation's remaining time (default 30 s). */
  remainingMs?: number;
}

/** POSTs raw bytes, signed with the app secret unless told otherwise. */
export function postWebhook(body: string | Buffer, options: PostOptions = {}): Promise<Answer> {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  const signature =
    options.signature === undefined
      ? signWebhookBody(bytes, options.secret ?? APP_SECRET)
      : options.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  return invoke(
    handler,
    apiEvent({
      method: "POST",
      routePath: WEBHOOK_PATH,
      headers,
      body: bytes,
      ...(options.base64 ? { base64: true } : {}),
    }),
    lambdaContext(options.remainingMs ?? 30_000),
  );
}

export function postEvents(
  events: WebhookEvent[],
  field?: "business_username_updates" | "business_username_update",
) {
  return postWebhook(JSON.stringify(buildWebhookPayload(events, field)));
}

/** One username update about a seeded number, as Meta would send it (`username` absent when deleted). */
export function webhookEvent(
  phone: Pick<WebhookEvent, "wabaId" | "displayPhoneNumber">,
  time: number,
  status: string,
  username?: string,
  context?: string,
): WebhookEvent {
  return {
    wabaId: phone.wabaId,
    displayPhoneNumber: phone.displayPhoneNumber,
    time,
    status,
    ...(username ? { username } : {}),
    ...(context ? { context } : {}),
  };
}

export function verifyWebhook(query: Record<string, string>): Promise<Answer> {
  return invoke(handler, apiEvent({ method: "GET", routePath: WEBHOOK_PATH, query }));
}

/** An HTTP endpoint on loopback that hands each request to the webhook Lambda, as API Gateway would. */
export async function startWebhookReceiver(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]),
      );
      const answer = await invoke(
        handler,
        apiEvent({
          method: req.method ?? "POST",
          routePath: WEBHOOK_PATH,
          headers,
          body: Buffer.concat(chunks),
          base64: true,
        }),
      );
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${WEBHOOK_PATH}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
