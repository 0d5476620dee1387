/**
 * A tenant's webhook endpoint on loopback, over real HTTP: records every request (headers, raw
 * body) and answers as the test says: a status, a delay, a redirect, or no answer at all (a hang,
 * for timeouts). `waitFor` polls its record until a condition holds.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: string;
  /** Epoch ms of arrival. */
  at: number;
}

export type Answer =
  | { status: number; body?: string; delayMs?: number; headers?: Record<string, string> }
  | { hang: true };

export interface TenantEndpoint {
  url: string;
  received(): ReceivedWebhook[];
  /** How to answer the n-th request (0-based); default 204. */
  answerWith(answer: (n: number, request: ReceivedWebhook) => Answer): void;
  /** Resolves with the requests once `done` holds for them, or rejects after `timeoutMs`. */
  waitFor(done: (received: ReceivedWebhook[]) => boolean, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startTenantEndpoint(path = "/webhooks"): Promise<TenantEndpoint> {
  const received: ReceivedWebhook[] = [];
  const sockets = new Set<Socket>();
  let answer: (n: number, request: ReceivedWebhook) => Answer = () => ({ status: 204 });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request: ReceivedWebhook = {
        headers: Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : (v ?? "")]),
        ),
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      const n = received.length;
      received.push(request);
      const reply = answer(n, request);
      if ("hang" in reply) return;
      const send = () => {
        res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers });
        res.end(reply.body ?? "");
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    received: () => [...received],
    answerWith(next) {
      answer = next;
    },
    async waitFor(done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done([...received])) {
        if (Date.now() > deadline) {
          throw new Error(`receiver: condition not met within ${timeoutMs} ms (${received.length} requests)`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return [...received];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Verifies a received request with the `standardwebhooks` library, as a tenant would; returns the event. */
export function verifiedEvent(secret: string, request: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(request.body, request.headers);
}
