/**
 * The Meta sandbox's HTTP face: a Graph API request is recorded (request-log.ts), meets any armed
 * fault and the fixed delay (fault-modes.ts), then is answered by Meta's rules (graph-api.ts,
 * username-rules.ts) over the numbers it knows (phone-store.ts); `/__sandbox/...` is the control
 * API, for programs on this machine only (control-guard.ts), whose input is checked by
 * control-input.ts and which never shows an access token (control-views.ts). Everything the
 * control API can do is also a method of the returned object, so tests need not speak HTTP
 * to set up.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { checkControlRequest } from "./control-guard.ts";
import {
  checkDuplicates,
  checkTime,
  isRecord,
  optionsOf,
  SandboxError,
  type SandboxFault,
} from "./control-input.ts";
import { phoneView, requestView } from "./control-views.ts";
import { FaultModes, faultReply } from "./fault-modes.ts";
import { answerGraph } from "./graph-api.ts";
import type { GraphReply } from "./graph-reply.ts";
import { graphAnswerHeaders } from "./meta-errors.ts";
import { learnPhone, type PhoneSource } from "./phone-source.ts";
import { PhoneStore } from "./phone-store.ts";
import { type RecordedRequest, RequestLog } from "./request-log.ts";
import type { SandboxPhone, SandboxPhoneInput, SandboxPhonePatch } from "./sandbox-phone.ts";
import { approveUsername, changeFromOutside, revokeUsername } from "./username-rules.ts";
import {
  type DeliverRawOptions,
  type WebhookConfig,
  type WebhookDelivery,
  WebhookDispatcher,
  type WebhookEvent,
} from "./webhooks.ts";

export interface MetaSandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where numbers nobody added are looked up (phone-source.ts); without it, only added numbers exist. */
  phoneSource?: PhoneSource;
}

export interface ApproveOptions {
  /** entry.time in unix seconds (default now). */
  time?: number;
  /** Deliver the same signed body this many extra times. */
  duplicates?: number;
}

export interface RevokeOptions {
  time?: number;
}

export interface MetaSandbox {
  /** Base URL, e.g. http://127.0.0.1:41234 (Graph paths go right under it: /v24.0/...). */
  url: string;
  port: number;
  /** Stops listening and destroys every socket, hanging ones included. */
  close(): Promise<void>;
  /** Adds a phone, or replaces the one with the same id. */
  addPhone(phone: SandboxPhoneInput): SandboxPhone;
  updatePhone(phoneNumberId: string, patch: SandboxPhonePatch): SandboxPhone;
  getPhone(phoneNumberId: string): SandboxPhone | undefined;
  listPhones(): SandboxPhone[];
  removePhone(phoneNumberId: string): boolean;
  /** The name is held by some other business: claims get 147001. */
  markTaken(username: string): void;
  /** Every Graph request received (control calls excluded), oldest first. */
  requests(): RecordedRequest[];
  clearRequests(): void;
  injectFault(fault: SandboxFault): SandboxFault;
  pendingFaults(): SandboxFault[];
  clearFaults(): void;
  /** A fixed delay before every Graph answer; 0 turns it off. */
  setDelay(ms: number): void;
  /** Forgets phones, taken names, requests, faults, delay, webhook config and deliveries. */
  reset(): void;
  /** null turns webhooks off. */
  configureWebhook(config: WebhookConfig | null): void;
  /** reserved → approved, then the signed webhook; resolves to one result per delivery. */
  approve(phoneNumberId: string, options?: ApproveOptions): Promise<WebhookDelivery[]>;
  /** Name removed, status deleted, webhook with context "revoked". */
  revoke(phoneNumberId: string, options?: RevokeOptions): Promise<WebhookDelivery[]>;
  /**
   * A change nobody asked the service for (another partner, WhatsApp Manager): the name and status
   * become `change`'s, then the signed webhook; one result per delivery.
   */
  changeFromOutside(
    phoneNumberId: string,
    change: { username?: string; status: string },
    options?: RevokeOptions,
  ): Promise<WebhookDelivery[]>;
  /** Signs and delivers test-made events to the configured callback. */
  deliverRaw(events: WebhookEvent[], options?: DeliverRawOptions): Promise<WebhookDelivery[]>;
  /** Every webhook delivery so far, including the fire-and-forget ones after DELETE. */
  deliveries(): WebhookDelivery[];
  /** Waits for fire-and-forget deliveries still in flight. */
  flushWebhooks(): Promise<void>;
}

type Reply = [status: number, body: unknown];
type ControlRoute = [
  method: string,
  pattern: RegExp,
  run: (params: string[], body: unknown) => Reply | Promise<Reply>,
];

const OK: Reply = [200, { ok: true }];

export async function startMetaSandbox(options: MetaSandboxOptions = {}): Promise<MetaSandbox> {
  const host = options.host ?? "127.0.0.1";
  const phones = new PhoneStore();
  const faults = new FaultModes();
  const requestLog = new RequestLog();
  const webhooks = new WebhookDispatcher();
  const sockets = new Set<Socket>();
  // Cancels every pending delay on close, so no timer outlives the server.
  const cancelWaits = new Set<() => void>();
  let closing: Promise<void> | undefined;

  /** Resolves true after ms, or false as soon as the sandbox closes. */
  const wait = (ms: number): Promise<boolean> => {
    if (closing) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (finished: boolean) => {
        clearTimeout(timer);
        cancelWaits.delete(cancel);
        resolve(finished);
      };
      const cancel = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      cancelWaits.add(cancel);
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: { message: `sandbox failure: ${String(error)}` } });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;

  const sandbox: MetaSandbox = {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const cancel of [...cancelWaits]) cancel();
        webhooks.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
    addPhone: (phone) => phones.add(phone),
    updatePhone: (id, patch) => phones.update(id, patch),
    getPhone: (id) => phones.get(id),
    listPhones: () => phones.list(),
    removePhone: (id) => phones.remove(id),
    markTaken: (username) => phones.markTaken(username),
    requests: () => requestLog.list(),
    clearRequests: () => requestLog.clear(),
    injectFault: (fault) => faults.arm(fault),
    pendingFaults: () => faults.pending(),
    clearFaults: () => faults.clear(),
    setDelay: (ms) => faults.setDelay(ms),
    reset() {
      phones.reset();
      requestLog.clear();
      faults.reset();
      webhooks.reset();
    },
    configureWebhook: (config) => webhooks.configure(config),
    async approve(id, opts = {}) {
      // Options are checked before the state changes, so a bad one leaves the phone as it was.
      const duplicates = checkDuplicates(opts.duplicates);
      const time = checkTime(opts.time);
      return webhooks.deliverEvents([approveUsername(phones.mustFind(id), time)], duplicates);
    },
    async changeFromOutside(id, change, opts = {}) {
      const time = opts.time;
      return webhooks.deliverEvents([changeFromOutside(phones.mustFind(id), change, time)]);
    },
    async revoke(id, opts = {}) {
      const time = checkTime(opts.time);
      return webhooks.deliverEvents([revokeUsername(phones.mustFind(id), time)]);
    },
    deliverRaw: (events, opts) => webhooks.deliverRaw(events, opts),
    deliveries: () => webhooks.deliveries(),
    flushWebhooks: () => webhooks.flush(),
  };

  const controlRoutes: ControlRoute[] = [
    ["GET", /^\/phones$/, () => [200, sandbox.listPhones().map(phoneView)]],
    ["POST", /^\/phones$/, (_, body) => [201, phoneView(phones.add(body))]],
    ["GET", /^\/phones\/([^/]+)$/, ([id = ""]) => [200, phoneView(mustExist(phones.get(id), id))]],
    ["PATCH", /^\/phones\/([^/]+)$/, ([id = ""], body) => [200, phoneView(phones.update(id, body))]],
    ["DELETE", /^\/phones\/([^/]+)$/, ([id = ""]) => (phones.remove(id) ? OK : notFound(id))],
    [
      "POST",
      /^\/phones\/([^/]+)\/approve$/,
      async ([id = ""], body) => [200, await sandbox.approve(id, optionsOf(body, ["time", "duplicates"]))],
    ],
    [
      "POST",
      /^\/phones\/([^/]+)\/revoke$/,
      async ([id = ""], body) => [200, await sandbox.revoke(id, optionsOf(body, ["time"]))],
    ],
    [
      "POST",
      /^\/phones\/([^/]+)\/change$/,
      async ([id = ""], body) => {
        const fields = isRecord(body) ? body : {};
        if (
          typeof fields.status !== "string" ||
          (fields.username !== undefined && typeof fields.username !== "string")
        ) {
          throw new SandboxError(400, "body must be { status, username?, time? }");
        }
        const change = {
          status: fields.status,
          ...(typeof fields.username === "string" ? { username: fields.username } : {}),
        };
        const time = checkTime(fields.time);
        return [200, await sandbox.changeFromOutside(id, change, time === undefined ? {} : { time })];
      },
    ],
    [
      "POST",
      /^\/taken$/,
      (_, body) => {
        const username = isRecord(body) ? body.username : undefined;
        phones.markTaken(username);
        return [201, { username }];
      },
    ],
    ["GET", /^\/requests$/, () => [200, requestLog.list().map(requestView)]],
    [
      "DELETE",
      /^\/requests$/,
      () => {
        requestLog.clear();
        return OK;
      },
    ],
    ["GET", /^\/faults$/, () => [200, faults.pending()]],
    ["POST", /^\/faults$/, (_, body) => [201, faults.arm(body)]],
    [
      "DELETE",
      /^\/faults$/,
      () => {
        faults.clear();
        return OK;
      },
    ],
    [
      "POST",
      /^\/delay$/,
      (_, body) => {
        faults.setDelay(isRecord(body) ? body.ms : undefined);
        return [200, { ms: faults.delayMs }];
      },
    ],
    [
      "POST",
      /^\/reset$/,
      () => {
        sandbox.reset();
        return OK;
      },
    ],
    ["GET", /^\/webhook$/, () => [200, redact(webhooks.config)]],
    [
      "POST",
      /^\/webhook$/,
      (_, body) => {
        webhooks.configure(body);
        return [200, redact(webhooks.config)];
      },
    ],
    [
      "DELETE",
      /^\/webhook$/,
      () => {
        webhooks.configure(null);
        return OK;
      },
    ],
    [
      "POST",
      /^\/webhook\/deliver$/,
      async (_, body) => {
        if (!isRecord(body)) throw new SandboxError(400, "body must be { events, shuffle?, batch?, ... }");
        const { events, ...rest } = body;
        return [
          200,
          await webhooks.deliverRaw(events, optionsOf(rest, ["shuffle", "batch", "concurrent", "appSecret"])),
        ];
      },
    ],
    ["GET", /^\/deliveries$/, () => [200, webhooks.deliveries()]],
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const target = req.url ?? "/";
    const pathname = new URL(target, "http://sandbox").pathname;
    if (pathname === "/__sandbox" || pathname.startsWith("/__sandbox/")) {
      return serveControl(req, pathname.slice("/__sandbox".length), raw, res);
    }
    return serveGraph(req, res, target, pathname, raw);
  }

  async function serveGraph(
    req: IncomingMessage,
    res: ServerResponse,
    target: string,
    pathname: string,
    raw: string,
  ): Promise<void> {
    const method = req.method ?? "GET";
    const recorded: RecordedRequest = {
      method,
      path: target,
      headers: flattenHeaders(req),
      body: raw,
      at: Date.now(),
    };
    requestLog.record(recorded);
    const fault = faults.take(target);
    if (fault?.mode === "reset") {
      req.socket.resetAndDestroy();
      return;
    }
    if (fault?.mode === "hang") return; // the socket stays open until the client gives up or close()
    const extra = fault?.mode === "slow" ? fault.delayMs : 0;
    if (!(await wait(faults.delayMs + extra))) return;
    if (fault?.mode === "status") return sendGraph(res, faultReply(fault), recorded);
    if (fault?.mode === "garbage") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>oops</html>");
      return;
    }
    // State is read and changed only now, after any delay, as Meta would: a client that
    // timed out meanwhile still gets its change made.
    if (options.phoneSource) {
      await learnPhone(phones, options.phoneSource, { pathname, authorization: req.headers.authorization });
    }
    const request = { method, pathname, authorization: req.headers.authorization, body: raw };
    const reply = answerGraph(request, phones);
    sendGraph(res, reply, recorded);
    if (reply.event) webhooks.fireAndForget(reply.event);
  }

  async function serveControl(
    req: IncomingMessage,
    path: string,
    raw: string,
    res: ServerResponse,
  ): Promise<void> {
    const method = req.method ?? "GET";
    try {
      checkControlRequest(req, port, raw);
      let body: unknown;
      try {
        body = raw === "" ? undefined : JSON.parse(raw);
      } catch {
        throw new SandboxError(400, "body is not JSON");
      }
      for (const [routeMethod, pattern, run] of controlRoutes) {
        const match = routeMethod === method ? pattern.exec(path) : null;
        if (match) {
          const [status, replyBody] = await run(match.slice(1).map(decodeURIComponent), body);
          return sendJson(res, status, replyBody);
        }
      }
      throw new SandboxError(404, `no sandbox route ${method} /__sandbox${path}`);
    } catch (error) {
      if (!(error instanceof SandboxError)) throw error;
      sendJson(res, error.httpStatus, { error: { message: error.message } });
    }
  }

  return sandbox;
}

/**
 * A Graph answer as Meta sends it: Graph's trace and debug headers on every answer, the reply's
 * own headers, its exact bytes; what was sent is kept with the recorded request.
 */
function sendGraph(res: ServerResponse, reply: GraphReply, recorded: RecordedRequest): void {
  const body = reply.rawBody ?? JSON.stringify(reply.body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...graphAnswerHeaders(() => randomBytes(12).toString("base64url")),
    ...reply.headers,
    "content-length": String(Buffer.byteLength(body)),
  };
  recorded.response = { status: reply.status, headers, body };
  res.writeHead(reply.status, headers);
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function mustExist<T>(value: T | undefined, id: string): T {
  if (value === undefined) throw new SandboxError(404, `no sandbox phone ${id}`);
  return value;
}

function notFound(id: string): Reply {
  return [404, { error: { message: `no sandbox phone ${id}` } }];
}

/** The app secret is never echoed back over HTTP. */
function redact(config: Required<WebhookConfig> | undefined): unknown {
  return config ? { callbackUrl: config.callbackUrl, field: config.field } : null;
}
