/**
 * The Meta sandbox's in-memory model and Meta's rules for the four business-username
 * endpoints. No sockets here: server.ts feeds parsed requests in and writes replies out,
 * so the rules read (and change) in one place.
 */
import { randomBytes } from "node:crypto";
import {
  META_ANSWER_EXAMPLE_NAMES,
  META_ANSWER_EXAMPLES,
  type MetaAnswerExampleName,
} from "./meta-errors.ts";
import type { WebhookEvent } from "./webhooks.ts";

/** One WhatsApp business phone number as the sandbox's Meta knows it. */
export interface SandboxPhone {
  phoneNumberId: string;
  /** The only token Meta accepts for this phone (tokens are per phone here). */
  accessToken: string;
  wabaId: string;
  /** Business portfolio: decides 147001 (other portfolio) versus 147005 (same portfolio). */
  businessId: string;
  displayPhoneNumber: string;
  /** Source of the username suggestions. */
  displayName: string;
  registered: boolean;
  eligible: boolean;
  facebookLinked: boolean;
  instagramLinked: boolean;
  permitted: boolean;
  approveImmediately: boolean;
  username?: string;
  /** reserved | approved | deleted, or anything a test seeds (Meta may add values). */
  status?: string;
}

type RequiredPhoneKey = "phoneNumberId" | "accessToken" | "wabaId" | "businessId" | "displayPhoneNumber";

export type SandboxPhoneInput = Pick<SandboxPhone, RequiredPhoneKey> &
  Partial<Omit<SandboxPhone, RequiredPhoneKey>>;

/** `null` clears username / status. The id cannot change: add a new phone instead. */
export type SandboxPhonePatch = Partial<Omit<SandboxPhone, "phoneNumberId" | "username" | "status">> & {
  username?: string | null;
  status?: string | null;
};

export interface RecordedRequest {
  method: string;
  /** Path and query string exactly as received. */
  path: string;
  /** Lower-cased names; authorization included on purpose (tests check what the proxy sends). */
  headers: Record<string, string>;
  body: string;
  /** Epoch milliseconds when the whole request had arrived. */
  at: number;
  /** What the sandbox answered, byte for byte; absent while pending, and for resets and hangs. */
  response?: RecordedResponse;
}

export interface RecordedResponse {
  status: number;
  /** Lower-case names, every header the sandbox sent. */
  headers: Record<string, string>;
  body: string;
}

export type SandboxFaultMode = "status" | "slow" | "garbage" | "reset" | "hang";

export interface SandboxFault {
  mode: SandboxFaultMode;
  /** For "status": the HTTP status (default 500). */
  status?: number;
  /** For "status": answer this JSON instead of the default Graph error for the status. */
  body?: unknown;
  /** For "status": answer these exact bytes (takes precedence over `body`). */
  rawBody?: string;
  /** For "status": one of Meta's real answers (meta-errors.ts): its status, headers and bytes. */
  example?: MetaAnswerExampleName;
  /** For "status": response headers to add (lower-case names), over the example's. */
  headers?: Record<string, string>;
  /** For "slow": how long to wait before answering normally (default 1000). */
  delayMs?: number;
  /** How many upcoming Graph requests this fault takes (default 1; Infinity in-process = all). */
  count?: number;
  /** Only requests whose path (with query) contains this string. */
  path?: string;
}

export interface GraphRequest {
  method: string;
  /** Path without the query string. */
  pathname: string;
  authorization: string | undefined;
  body: string;
}

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

/** A control-plane mistake (bad input, unknown phone); httpStatus is what the control API answers. */
export class SandboxError extends Error {
  readonly httpStatus: number;
  constructor(httpStatus: number, message: string) {
    super(message);
    this.name = "SandboxError";
    this.httpStatus = httpStatus;
  }
}

// Meta's examples plus the seed's .io and .ai. Deliberately not every TLD: Meta calls
// `my.id` a valid username.
export const DOMAIN_SUFFIXES = [
  "com",
  "org",
  "net",
  "int",
  "edu",
  "gov",
  "mil",
  "us",
  "in",
  "html",
  "io",
  "ai",
] as const;

/** Meta's username format rules; returns the broken rule as a sentence, or undefined when valid. */
export function usernameFormatProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 35) return "Username must be between 3 and 35 characters long.";
  if (!/^[A-Za-z0-9._]+$/.test(name)) {
    return "Username can only contain English letters, numbers, periods and underscores.";
  }
  if (!/[A-Za-z]/.test(name)) return "Username must contain at least one English letter.";
  if (name.startsWith(".") || name.endsWith(".")) return "Username cannot start or end with a period.";
  if (name.includes("..")) return "Username cannot contain two periods in a row.";
  const lower = name.toLowerCase();
  if (lower.startsWith("www")) return "Username cannot start with 'www'.";
  const suffix = DOMAIN_SUFFIXES.find((s) => lower.endsWith(`.${s}`));
  if (suffix) return `Username cannot end with a domain suffix such as .${suffix}.`;
  return undefined;
}

interface GraphErrorFields {
  message: string;
  type: string;
  code: number;
  subcode?: number;
  details?: string;
  transient?: boolean;
}

/** A Graph error envelope with a fresh fbtrace_id, as Meta sends it. */
export function graphError(httpStatus: number, f: GraphErrorFields): GraphReply {
  const error: Record<string, unknown> = { message: f.message, type: f.type, code: f.code };
  if (f.subcode !== undefined) error.error_subcode = f.subcode;
  if (f.transient !== undefined) error.is_transient = f.transient;
  if (f.details !== undefined) error.error_data = { messaging_product: "whatsapp", details: f.details };
  error.fbtrace_id = randomBytes(17).toString("base64url");
  return { status: httpStatus, body: { error } };
}

/** The answer of a "status" fault: Graph's transient errors unless the test gave a body. */
export function faultReply(fault: SandboxFault): GraphReply {
  const example = fault.example === undefined ? undefined : META_ANSWER_EXAMPLES[fault.example];
  const status = fault.status ?? example?.status ?? 500;
  const reply = defaultFaultReply(status, fault);
  const headers = { ...example?.headers, ...fault.headers };
  if (Object.keys(headers).length > 0) reply.headers = { ...reply.headers, ...headers };
  const rawBody = fault.rawBody ?? example?.body;
  if (rawBody !== undefined) reply.rawBody = rawBody;
  return reply;
}

function defaultFaultReply(status: number, fault: SandboxFault): GraphReply {
  if (fault.body !== undefined) return { status, body: fault.body };
  if (status === 429) {
    return graphError(429, {
      message: "(#4) Application request limit reached",
      type: "OAuthException",
      code: 4,
      transient: true,
    });
  }
  if (status >= 500 && status !== 500) {
    return graphError(status, {
      message: "An unexpected error has occurred. Please retry your request later.",
      type: "OAuthException",
      code: 2,
      transient: true,
    });
  }
  return graphError(status, {
    message: "An unknown error has occurred.",
    type: "OAuthException",
    code: 1,
    transient: false,
  });
}

const invalidParameter = (details: string): GraphReply =>
  graphError(400, { message: "(#100) Invalid parameter", type: "OAuthException", code: 100, details });

const usernameError = (code: number, message: string, details: string): GraphReply =>
  graphError(400, { message, type: "OAuthException", code, details });

const unknownPath = (pathname: string): GraphReply =>
  graphError(400, {
    message: `(#100) Unknown path components: ${pathname}`,
    type: "OAuthException",
    code: 100,
  });

const BAD_TOKEN_MESSAGE = "Invalid OAuth access token - Cannot parse access token";
/** Graph's 401 carries its OAuth challenge in WWW-Authenticate. */
const badToken = (): GraphReply => ({
  ...graphError(401, { message: BAD_TOKEN_MESSAGE, type: "OAuthException", code: 190 }),
  headers: { "www-authenticate": `OAuth "Facebook Platform" "invalid_token" "${BAD_TOKEN_MESSAGE}"` },
});

const VERSION = /^v\d+\.\d+$/;
const EDGE_METHODS = new Map<string, readonly string[]>([
  ["username", ["GET", "POST", "DELETE"]],
  ["username_suggestions", ["GET"]],
]);
const TRANSFER_ACTIONS = ["none", "force_transfer"];

const FLAG_DEFAULTS = {
  registered: true,
  eligible: true,
  facebookLinked: true,
  instagramLinked: true,
  permitted: true,
  approveImmediately: false,
} as const;
const FLAGS = Object.keys(FLAG_DEFAULTS) as (keyof typeof FLAG_DEFAULTS)[];
const REQUIRED_TEXT: readonly RequiredPhoneKey[] = [
  "phoneNumberId",
  "accessToken",
  "wabaId",
  "businessId",
  "displayPhoneNumber",
];
const PHONE_KEYS = new Set<string>([...REQUIRED_TEXT, ...FLAGS, "displayName", "username", "status"]);
const DEFAULT_DISPLAY_NAME = "Sandbox Business";

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(value: Record<string, unknown>, allowed: Set<string>, what: string): void {
  // A typo such as `approveImmediatly` would otherwise be ignored silently and the test
  // would check a rule the sandbox never applied.
  const extra = Object.keys(value).filter((k) => !allowed.has(k));
  if (extra.length > 0) throw new SandboxError(400, `${what}: unknown field(s) ${extra.join(", ")}`);
}

function checkType(value: Record<string, unknown>, key: string, type: "string" | "boolean"): void {
  if (value[key] !== undefined && typeof value[key] !== type) {
    throw new SandboxError(400, `${key} must be a ${type}`);
  }
}

/** Validates a control-API phone and fills the defaults. */
export function parsePhoneInput(value: unknown): SandboxPhone {
  if (!isRecord(value)) throw new SandboxError(400, "phone must be a JSON object");
  rejectUnknownKeys(value, PHONE_KEYS, "phone");
  for (const key of REQUIRED_TEXT) {
    if (typeof value[key] !== "string" || value[key] === "") {
      throw new SandboxError(400, `${key} is required (non-empty string)`);
    }
  }
  for (const key of ["displayName", "username", "status"]) checkType(value, key, "string");
  for (const key of FLAGS) checkType(value, key, "boolean");
  const input = value as SandboxPhoneInput;
  const phone: SandboxPhone = {
    phoneNumberId: input.phoneNumberId,
    accessToken: input.accessToken,
    wabaId: input.wabaId,
    businessId: input.businessId,
    displayPhoneNumber: input.displayPhoneNumber,
    displayName: input.displayName ?? DEFAULT_DISPLAY_NAME,
    registered: input.registered ?? FLAG_DEFAULTS.registered,
    eligible: input.eligible ?? FLAG_DEFAULTS.eligible,
    facebookLinked: input.facebookLinked ?? FLAG_DEFAULTS.facebookLinked,
    instagramLinked: input.instagramLinked ?? FLAG_DEFAULTS.instagramLinked,
    permitted: input.permitted ?? FLAG_DEFAULTS.permitted,
    approveImmediately: input.approveImmediately ?? FLAG_DEFAULTS.approveImmediately,
  };
  if (input.username !== undefined) phone.username = input.username;
  // A seeded name without a status is what a fresh claim would give.
  const status = input.status ?? (input.username !== undefined ? "reserved" : undefined);
  if (status !== undefined) phone.status = status;
  return phone;
}

function parsePhonePatch(value: unknown): SandboxPhonePatch {
  if (!isRecord(value)) throw new SandboxError(400, "patch must be a JSON object");
  if (value.phoneNumberId !== undefined) throw new SandboxError(400, "phoneNumberId cannot be changed");
  rejectUnknownKeys(value, PHONE_KEYS, "patch");
  for (const key of REQUIRED_TEXT) {
    if (value[key] !== undefined && (typeof value[key] !== "string" || value[key] === "")) {
      throw new SandboxError(400, `${key} must be a non-empty string`);
    }
  }
  checkType(value, "displayName", "string");
  for (const key of FLAGS) checkType(value, key, "boolean");
  for (const key of ["username", "status"]) {
    if (value[key] !== null) checkType(value, key, "string");
  }
  return value as SandboxPhonePatch;
}

export type NormalizedFault = SandboxFault & { status: number; delayMs: number; count: number };

/** Validates and fills a fault's defaults. */
export function parseFault(value: unknown): NormalizedFault {
  if (!isRecord(value)) throw new SandboxError(400, "fault must be a JSON object");
  rejectUnknownKeys(
    value,
    new Set(["mode", "status", "body", "rawBody", "example", "headers", "delayMs", "count", "path"]),
    "fault",
  );
  const f = value as unknown as SandboxFault;
  if (f.example !== undefined && !META_ANSWER_EXAMPLE_NAMES.includes(f.example)) {
    throw new SandboxError(400, `example must be one of ${META_ANSWER_EXAMPLE_NAMES.join(", ")}`);
  }
  if (f.rawBody !== undefined && typeof f.rawBody !== "string")
    throw new SandboxError(400, "rawBody must be a string");
  if (
    f.headers !== undefined &&
    (!isRecord(f.headers) ||
      Object.entries(f.headers).some(([k, v]) => typeof v !== "string" || k !== k.toLowerCase()))
  ) {
    throw new SandboxError(400, "headers must map lower-case names to strings");
  }
  if (!["status", "slow", "garbage", "reset", "hang"].includes(f.mode)) {
    throw new SandboxError(400, "mode must be one of status, slow, garbage, reset, hang");
  }
  const status = f.status ?? (f.example === undefined ? 500 : META_ANSWER_EXAMPLES[f.example].status);
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new SandboxError(400, "status must be an HTTP status (200-599)");
  }
  const delayMs = f.delayMs ?? 1000;
  if (typeof delayMs !== "number" || !(delayMs >= 0) || !Number.isFinite(delayMs)) {
    throw new SandboxError(400, "delayMs must be a non-negative number");
  }
  const count = f.count ?? 1;
  if (!(count === Number.POSITIVE_INFINITY || (Number.isInteger(count) && count > 0))) {
    throw new SandboxError(400, "count must be a positive integer");
  }
  if (f.path !== undefined && typeof f.path !== "string")
    throw new SandboxError(400, "path must be a string");
  const fault: NormalizedFault = {
    mode: f.mode,
    status,
    delayMs,
    count,
  };
  if (f.path !== undefined) fault.path = f.path;
  if (f.body !== undefined) fault.body = f.body;
  if (f.rawBody !== undefined) fault.rawBody = f.rawBody;
  if (f.example !== undefined) fault.example = f.example;
  if (f.headers !== undefined) fault.headers = { ...f.headers };
  return fault;
}

const copy = (phone: SandboxPhone): SandboxPhone => ({ ...phone });
const digits = (text: string): string => text.replace(/\D/g, "");
const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

// Keeps a long benchmark run from growing the request log without bound.
const MAX_RECORDED = 100_000;

type Gate = { phone: SandboxPhone } | { reply: GraphReply };

export class SandboxState {
  #phones = new Map<string, SandboxPhone>();
  /** Lower-cased names held by "some other business" (always 147001). */
  #taken = new Set<string>();
  #requests: RecordedRequest[] = [];
  #faults: (NormalizedFault & { remaining: number })[] = [];
  #delayMs = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  reset(): void {
    this.#phones.clear();
    this.#taken.clear();
    this.#requests = [];
    this.#faults = [];
    this.#delayMs = 0;
  }

  // --- control ---------------------------------------------------------------

  addPhone(input: unknown): SandboxPhone {
    const phone = parsePhoneInput(input);
    if (phone.username !== undefined) this.#assertFree(phone.username, phone.phoneNumberId);
    this.#phones.set(phone.phoneNumberId, phone);
    return copy(phone);
  }

  updatePhone(id: string, patch: unknown): SandboxPhone {
    const phone = this.#mustGet(id);
    const changes = parsePhonePatch(patch);
    if (typeof changes.username === "string") this.#assertFree(changes.username, id);
    const { username, status, ...rest } = changes;
    Object.assign(phone, rest);
    if (username === null) delete phone.username;
    else if (username !== undefined) phone.username = username;
    if (status === null) delete phone.status;
    else if (status !== undefined) phone.status = status;
    return copy(phone);
  }

  getPhone(id: string): SandboxPhone | undefined {
    const phone = this.#phones.get(id);
    return phone && copy(phone);
  }

  listPhones(): SandboxPhone[] {
    return [...this.#phones.values()].map(copy);
  }

  removePhone(id: string): boolean {
    return this.#phones.delete(id);
  }

  markTaken(username: unknown): void {
    if (typeof username !== "string" || username === "") {
      throw new SandboxError(400, "username must be a non-empty string");
    }
    this.#taken.add(username.toLowerCase());
  }

  /** Meta's review finishes: the name becomes visible. Returns the webhook Meta sends. */
  approve(id: string, time?: number): WebhookEvent {
    const phone = this.#mustGet(id);
    if (phone.username === undefined) throw new SandboxError(409, `phone ${id} has no username to approve`);
    // Approving an approved name again only re-sends the webhook (a late duplicate).
    phone.status = "approved";
    return this.#event(phone, time, { username: phone.username, status: "approved" });
  }

  /** Meta takes the name away. Returns the webhook Meta sends. */
  revoke(id: string, time?: number): WebhookEvent {
    const phone = this.#mustGet(id);
    if (phone.username === undefined) throw new SandboxError(409, `phone ${id} has no username to revoke`);
    delete phone.username;
    phone.status = "deleted";
    return this.#event(phone, time, { status: "deleted", context: "revoked" });
  }

  record(request: RecordedRequest): void {
    this.#requests.push(request);
    if (this.#requests.length > MAX_RECORDED) this.#requests.shift();
  }

  requests(): RecordedRequest[] {
    return this.#requests.map((r) => ({ ...r, headers: { ...r.headers } }));
  }

  clearRequests(): void {
    this.#requests = [];
  }

  injectFault(value: unknown): SandboxFault {
    const fault = parseFault(value);
    this.#faults.push({ ...fault, remaining: fault.count });
    return fault;
  }

  /** Faults still waiting for requests, with count = what is left. */
  pendingFaults(): SandboxFault[] {
    return this.#faults.map(({ remaining, ...f }) => ({ ...f, count: remaining }));
  }

  clearFaults(): void {
    this.#faults = [];
  }

  /** The first queued fault that matches this request, used up by one. */
  takeFault(path: string): NormalizedFault | undefined {
    const index = this.#faults.findIndex((f) => f.path === undefined || path.includes(f.path));
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    const { remaining: _, ...rest } = fault;
    return rest;
  }

  get delayMs(): number {
    return this.#delayMs;
  }

  setDelay(ms: unknown): void {
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new SandboxError(400, "ms must be a non-negative number");
    }
    this.#delayMs = ms;
  }

  // --- Graph API -------------------------------------------------------------

  handleGraph(req: GraphRequest): GraphReply {
    const [root, version, rawId, edge, ...rest] = req.pathname.split("/");
    const methods = edge === undefined ? undefined : EDGE_METHODS.get(edge);
    const id = rawId === undefined ? undefined : safeDecode(rawId);
    if (root !== "" || rest.length > 0 || !version || !VERSION.test(version) || !id || !methods) {
      return unknownPath(req.pathname);
    }
    if (!methods.includes(req.method)) {
      return graphError(400, {
        message: `Unsupported ${req.method.toLowerCase()} request.`,
        type: "GraphMethodException",
        code: 100,
      });
    }
    const gate = this.#gate(req, id);
    if ("reply" in gate) return gate.reply;
    const reply = this.#answer(req, edge, gate.phone);
    reply.headers = { ...reply.headers, "x-business-use-case-usage": usageHeader(gate.phone) };
    return reply;
  }

  /** The endpoint's own answer, once the gate has let the request through. */
  #answer(req: GraphRequest, edge: string | undefined, phone: SandboxPhone): GraphReply {
    if (edge === "username_suggestions") {
      return { status: 200, body: { data: [{ username_suggestions: this.#suggest(phone) }] } };
    }
    if (req.method === "POST") return this.#claim(phone, req.body);
    if (req.method === "DELETE") return this.#release(phone);
    const body: { username?: string; status?: string } = {};
    if (phone.username !== undefined) body.username = phone.username;
    if (phone.status !== undefined) body.status = phone.status;
    return { status: 200, body };
  }

  /** Checks 1-4 of every endpoint: token, phone, permission, registration. */
  #gate(req: GraphRequest, id: string): Gate {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? "")?.[1];
    if (token === undefined) return { reply: badToken() };
    const phone = this.#phones.get(id);
    if (!phone || phone.accessToken !== token) {
      const known = [...this.#phones.values()].some((p) => p.accessToken === token);
      if (!known) return { reply: badToken() };
      // A valid token that cannot see this id: Meta does not say whether the id exists.
      return {
        reply: graphError(400, {
          message: `Unsupported ${req.method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
          type: "GraphMethodException",
          code: 33,
        }),
      };
    }
    if (!phone.permitted) {
      return {
        reply: graphError(403, {
          message: "(#10) Application does not have permission for this action",
          type: "OAuthException",
          code: 10,
          details: "The access token is missing the whatsapp_business_management permission for this asset.",
        }),
      };
    }
    if (!phone.registered) {
      return {
        reply: graphError(400, {
          message: "(#133010) Account not registered",
          type: "OAuthException",
          code: 133010,
          details: "This phone number is not registered for use with the WhatsApp Business Platform.",
        }),
      };
    }
    return { phone };
  }

  #claim(phone: SandboxPhone, rawBody: string): GraphReply {
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return invalidParameter("The request body must be a JSON object.");
    }
    if (!isRecord(body)) return invalidParameter("The request body must be a JSON object.");
    const { username, transfer_action: transfer } = body;
    if (typeof username !== "string") {
      return invalidParameter("The parameter username is required and must be a string.");
    }
    if (transfer !== undefined && !TRANSFER_ACTIONS.includes(transfer as string)) {
      return invalidParameter("The parameter transfer_action must be one of: none, force_transfer.");
    }
    const problem = usernameFormatProblem(username);
    if (problem) return invalidParameter(problem);
    if (!phone.eligible) {
      return usernameError(
        147002,
        "Account is not eligible to request a username",
        "This business needs a higher messaging limit before it can request a username.",
      );
    }
    if (!phone.facebookLinked) {
      return usernameError(
        147003,
        "Facebook account must be linked",
        "Link a Facebook Page to this business before requesting a username.",
      );
    }
    if (!phone.instagramLinked) {
      return usernameError(
        147004,
        "Instagram account must be linked",
        "Link an Instagram account to this business before requesting a username.",
      );
    }
    const key = username.toLowerCase();
    const holder = this.#holderOf(key);
    const ownName = holder === phone;
    if (
      (this.#taken.has(key) && !ownName) ||
      (holder && !ownName && holder.businessId !== phone.businessId)
    ) {
      return usernameError(
        147001,
        "Username is not available",
        "This username is already taken. Try a different username.",
      );
    }
    if (holder && !ownName) {
      if (transfer !== "force_transfer") {
        return usernameError(
          147005,
          "Username is in use by another phone number in this business portfolio",
          "Resend the request with transfer_action set to force_transfer to move the username to this phone number.",
        );
      }
      // The loser simply has no name any more: no "deleted" status, no webhook.
      delete holder.username;
      delete holder.status;
    }
    // Claiming the name it already holds again keeps its review state (an idempotent retry).
    const keep = ownName && (phone.status === "reserved" || phone.status === "approved");
    const status = keep ? phone.status : phone.approveImmediately ? "approved" : "reserved";
    phone.username = username; // replacing the old name is what releases it
    phone.status = status;
    return { status: 200, body: { status } };
  }

  #release(phone: SandboxPhone): GraphReply {
    if (phone.username === undefined) return { status: 200, body: { success: false } };
    delete phone.username;
    phone.status = "deleted";
    return {
      status: 200,
      body: { success: true },
      event: this.#event(phone, undefined, { status: "deleted" }),
    };
  }

  /** Up to three free, valid names built from the display name. */
  #suggest(phone: SandboxPhone): string[] {
    let base = phone.displayName
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .slice(0, 24)
      .replace(/^_+|_+$/g, "");
    if (!/[a-z]/.test(base) || base.startsWith("www")) base = base ? `biz_${base}` : "business";
    const fixed = [base, `${base}_official`, `${base}_support`, `${base}_hq`, `${base}_app`];
    const out: string[] = [];
    for (let i = 0; out.length < 3 && i < 1000; i++) {
      const name = fixed[i] ?? `${base}_${i - fixed.length + 1}`;
      if (
        usernameFormatProblem(name) ||
        this.#taken.has(name) ||
        this.#holderOf(name) ||
        out.includes(name)
      ) {
        continue;
      }
      out.push(name);
    }
    return out;
  }

  #holderOf(lowerName: string): SandboxPhone | undefined {
    for (const phone of this.#phones.values()) {
      if (phone.username?.toLowerCase() === lowerName) return phone;
    }
    return undefined;
  }

  #assertFree(username: string, forId: string): void {
    const key = username.toLowerCase();
    const holder = this.#holderOf(key);
    if (holder && holder.phoneNumberId !== forId) {
      throw new SandboxError(409, `username ${username} is already held by phone ${holder.phoneNumberId}`);
    }
    if (this.#taken.has(key)) throw new SandboxError(409, `username ${username} is marked taken`);
  }

  #mustGet(id: string): SandboxPhone {
    const phone = this.#phones.get(id);
    if (!phone) throw new SandboxError(404, `no sandbox phone ${id}`);
    return phone;
  }

  #event(
    phone: SandboxPhone,
    time: number | undefined,
    value: Pick<WebhookEvent, "username" | "status" | "context">,
  ): WebhookEvent {
    return {
      wabaId: phone.wabaId,
      time: time ?? unixSeconds(this.#now()),
      // Meta's payload carries digits only, whatever the display format.
      displayPhoneNumber: digits(phone.displayPhoneNumber),
      ...value,
    };
  }
}

/** Meta's usage of the number's WhatsApp Business account, as it reports it on every call. */
function usageHeader(phone: SandboxPhone): string {
  return JSON.stringify({
    [phone.wabaId]: [
      {
        type: "whatsapp_business_management",
        call_count: 1,
        total_cputime: 1,
        total_time: 1,
        estimated_time_to_regain_access: 0,
      },
    ],
  });
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
