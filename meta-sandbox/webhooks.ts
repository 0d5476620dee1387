/**
 * Meta's `business_username_updates` webhooks as the sandbox sends them: Meta's payload
 * shape, the X-Hub-Signature-256 HMAC of the exact raw body, and a log of every delivery
 * so tests can see what the receiver answered.
 */
import { createHmac } from "node:crypto";
import { isRecord, SandboxError } from "./control-input.ts";

/** Current docs spell it with an s; older documents without. Receivers must accept both. */
export type WebhookField = "business_username_updates" | "business_username_update";

export interface WebhookConfig {
  callbackUrl: string;
  appSecret: string;
  field?: WebhookField;
}

/** One username change, flattened; buildWebhookPayload nests it the way Meta does. */
export interface WebhookEvent {
  wabaId: string;
  /** Unix seconds: entry.time. */
  time: number;
  /** Sent as given (Meta sends digits only; the sandbox's own events are digits). */
  displayPhoneNumber: string;
  username?: string;
  status: string;
  context?: string;
}

export interface WebhookChangeValue {
  display_phone_number: string;
  username?: string;
  status: string;
  context?: string;
}

export interface WebhookPayload {
  object: "whatsapp_business_account";
  entry: {
    id: string;
    time: number;
    changes: { field: WebhookField; value: WebhookChangeValue }[];
  }[];
}

export interface WebhookDelivery {
  callbackUrl: string;
  /** The exact bytes (UTF-8) that were signed and sent. */
  rawBody: string;
  signature: string;
  /** The callback's HTTP status; 0 when it never answered (refused, timed out, closed). */
  status: number;
  /** The callback's response body. */
  body: string;
  error?: string;
  /** Epoch milliseconds when the POST started. */
  at: number;
  durationMs: number;
}

export interface DeliverRawOptions {
  /** Deliver in random order (Meta guarantees none). */
  shuffle?: boolean;
  /** One POST carrying every event (entries grouped by WABA id and time) instead of one POST per event. */
  batch?: boolean;
  /** Send the POSTs at once instead of one after another. */
  concurrent?: boolean;
  /** Sign with this secret instead of the configured one (to test rejection). */
  appSecret?: string;
}

const FIELDS: readonly string[] = ["business_username_updates", "business_username_update"];
const DELIVERY_TIMEOUT_MS = 10_000;
const MAX_LOGGED = 100_000;

/** `sha256=<hex>` of HMAC-SHA256 over the raw body bytes, as Meta signs. */
export function signWebhookBody(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac("sha256", appSecret).update(rawBody).digest("hex")}`;
}

/**
 * Meta's payload for these events. Events of the same WABA and the same time share one
 * entry; different times stay in separate entries because entry.time is what receivers
 * order events by.
 */
export function buildWebhookPayload(
  events: readonly WebhookEvent[],
  field: WebhookField = "business_username_updates",
): WebhookPayload {
  const payload: WebhookPayload = { object: "whatsapp_business_account", entry: [] };
  const entries = new Map<string, WebhookPayload["entry"][number]>();
  for (const event of events) {
    const key = `${event.wabaId}\u0000${event.time}`;
    let entry = entries.get(key);
    if (!entry) {
      entry = { id: event.wabaId, time: event.time, changes: [] };
      entries.set(key, entry);
      payload.entry.push(entry);
    }
    // Key order as Meta sends it. A username is sent whenever the event has one: the
    // sandbox's own deleted events have none, and raw test events may break the rule on purpose.
    const value: WebhookChangeValue = {
      display_phone_number: event.displayPhoneNumber,
      ...(event.username !== undefined ? { username: event.username } : {}),
      status: event.status,
      ...(event.context !== undefined ? { context: event.context } : {}),
    };
    entry.changes.push({ field, value });
  }
  return payload;
}

export function parseWebhookConfig(value: unknown): Required<WebhookConfig> {
  if (!isRecord(value)) throw new SandboxError(400, "webhook config must be a JSON object");
  const { callbackUrl, appSecret, field = "business_username_updates" } = value;
  if (typeof callbackUrl !== "string" || !URL.canParse(callbackUrl)) {
    throw new SandboxError(400, "callbackUrl must be an absolute URL");
  }
  if (typeof appSecret !== "string" || appSecret === "") {
    throw new SandboxError(400, "appSecret must be a non-empty string");
  }
  if (typeof field !== "string" || !FIELDS.includes(field)) {
    throw new SandboxError(400, `field must be one of ${FIELDS.join(", ")}`);
  }
  return { callbackUrl, appSecret, field: field as WebhookField };
}

export function parseWebhookEvents(value: unknown): WebhookEvent[] {
  if (!Array.isArray(value)) throw new SandboxError(400, "events must be an array");
  return value.map((e, i) => {
    const ok =
      isRecord(e) &&
      typeof e.wabaId === "string" &&
      typeof e.time === "number" &&
      typeof e.displayPhoneNumber === "string" &&
      typeof e.status === "string" &&
      (e.username === undefined || typeof e.username === "string") &&
      (e.context === undefined || typeof e.context === "string");
    if (!ok) {
      throw new SandboxError(
        400,
        `events[${i}] needs wabaId, time (number), displayPhoneNumber, status and optional username, context`,
      );
    }
    return e as unknown as WebhookEvent;
  });
}

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Holds the webhook subscription and sends, signs and logs deliveries. */
export class WebhookDispatcher {
  #config: Required<WebhookConfig> | undefined;
  #log: WebhookDelivery[] = [];
  #pending = new Set<Promise<unknown>>();
  #closed = new AbortController();

  configure(config: unknown): void {
    this.#config = config === null || config === undefined ? undefined : parseWebhookConfig(config);
  }

  get config(): Required<WebhookConfig> | undefined {
    return this.#config && { ...this.#config };
  }

  /** One payload with these events to the configured callback, plus `duplicates` identical re-sends. */
  async deliverEvents(events: readonly WebhookEvent[], duplicates = 0): Promise<WebhookDelivery[]> {
    if (!Number.isInteger(duplicates) || duplicates < 0) {
      throw new SandboxError(400, "duplicates must be a non-negative integer");
    }
    const config = this.#config;
    if (!config) return [];
    const raw = JSON.stringify(buildWebhookPayload(events, config.field));
    const results: WebhookDelivery[] = [];
    for (let i = 0; i <= duplicates; i++)
      results.push(await this.#post(config.callbackUrl, raw, config.appSecret));
    return results;
  }

  /** For deliveries caused by Graph requests: the Graph answer must not wait for the callback. */
  fireAndForget(event: WebhookEvent): void {
    if (!this.#config) return;
    const sending = this.deliverEvents([event]).catch(() => []);
    this.#pending.add(sending);
    void sending.finally(() => this.#pending.delete(sending));
  }

  async deliverRaw(events: unknown, options: DeliverRawOptions = {}): Promise<WebhookDelivery[]> {
    const config = this.#config;
    if (!config) throw new SandboxError(409, "no webhook configured: call configureWebhook first");
    let list = parseWebhookEvents(events);
    if (options.shuffle) list = shuffled(list);
    if (list.length === 0) return [];
    const groups = options.batch ? [list] : list.map((e) => [e]);
    const raws = groups.map((g) => JSON.stringify(buildWebhookPayload(g, config.field)));
    const secret = options.appSecret ?? config.appSecret;
    if (options.concurrent)
      return Promise.all(raws.map((raw) => this.#post(config.callbackUrl, raw, secret)));
    const results: WebhookDelivery[] = [];
    for (const raw of raws) results.push(await this.#post(config.callbackUrl, raw, secret));
    return results;
  }

  deliveries(): WebhookDelivery[] {
    return this.#log.map((d) => ({ ...d }));
  }

  /** Resolves once every fire-and-forget delivery has finished. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  reset(): void {
    this.#config = undefined;
    this.#log = [];
  }

  /** Aborts in-flight deliveries so closing the sandbox never waits on a slow callback. */
  close(): void {
    this.#closed.abort();
  }

  async #post(callbackUrl: string, rawBody: string, appSecret: string): Promise<WebhookDelivery> {
    const signature = signWebhookBody(rawBody, appSecret);
    const at = Date.now();
    let delivery: WebhookDelivery;
    try {
      const response = await fetch(callbackUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Hub-Signature-256": signature,
          "User-Agent": "facebookexternalua",
        },
        body: rawBody, // a string is sent as its UTF-8 bytes: the bytes that were signed
        signal: AbortSignal.any([this.#closed.signal, AbortSignal.timeout(DELIVERY_TIMEOUT_MS)]),
      });
      const body = await response.text();
      delivery = {
        callbackUrl,
        rawBody,
        signature,
        status: response.status,
        body,
        at,
        durationMs: Date.now() - at,
      };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
      const message = error instanceof Error ? `${error.message}${cause}` : String(error);
      delivery = {
        callbackUrl,
        rawBody,
        signature,
        status: 0,
        body: "",
        error: message,
        at,
        durationMs: Date.now() - at,
      };
    }
    this.#log.push(delivery);
    if (this.#log.length > MAX_LOGGED) this.#log.shift();
    return delivery;
  }
}
