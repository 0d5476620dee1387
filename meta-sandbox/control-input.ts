/**
 * What a caller tells the sandbox, checked before any room acts on it: a phone and a patch of
 * one, a fault, a name marked taken, the fixed delay, the options of approve, revoke and
 * hand-made webhook deliveries. The same checks serve the control API
 * (`/__sandbox/...`, bodies parsed from JSON) and the in-process methods tests call, so a value
 * refused over HTTP is refused in-process too.
 *
 * A mistake is a `SandboxError`, whose `httpStatus` is what the control API answers: 400 here;
 * the rooms throw it too (404 for an unknown phone, 409 for a name already held). Unknown fields
 * are refused, never ignored: a typo such as `approveImmediatly` would otherwise leave a test
 * checking a rule the sandbox never applied.
 */
import {
  META_ANSWER_EXAMPLE_NAMES,
  META_ANSWER_EXAMPLES,
  type MetaAnswerExampleName,
} from "./meta-errors.ts";
import type {
  RequiredPhoneKey,
  SandboxPhone,
  SandboxPhoneInput,
  SandboxPhonePatch,
} from "./sandbox-phone.ts";

/** A control-plane mistake (bad input, unknown phone); httpStatus is what the control API answers. */
export class SandboxError extends Error {
  readonly httpStatus: number;
  constructor(httpStatus: number, message: string) {
    super(message);
    this.name = "SandboxError";
    this.httpStatus = httpStatus;
  }
}

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(value: Record<string, unknown>, allowed: Set<string>, what: string): void {
  const extra = Object.keys(value).filter((k) => !allowed.has(k));
  if (extra.length > 0) throw new SandboxError(400, `${what}: unknown field(s) ${extra.join(", ")}`);
}

function checkType(value: Record<string, unknown>, key: string, type: "string" | "boolean"): void {
  if (value[key] !== undefined && typeof value[key] !== type) {
    throw new SandboxError(400, `${key} must be a ${type}`);
  }
}

// --- phones --------------------------------------------------------------------------------

/** A number nobody said otherwise of is in good standing: every username call may go through. */
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

/**
 * A new phone, checked and completed: `SandboxPhoneInput` (the five ids and the token as
 * non-empty strings; optional `displayName`, `username`, `status` strings and boolean flags) →
 * `SandboxPhone` with every flag set (defaults: in good standing, `approveImmediately` false),
 * `displayName` "Sandbox Business" when absent, and `status` "reserved" for a seeded name
 * without one. Throws a 400 SandboxError for anything else.
 */
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

/**
 * A patch of a phone: any field of `SandboxPhone` but `phoneNumberId`, typed as there (ids and
 * token non-empty), `username`/`status` also `null` (= clear) → the same object as a
 * `SandboxPhonePatch`. Throws a 400 SandboxError for anything else.
 */
export function parsePhonePatch(value: unknown): SandboxPhonePatch {
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

/** A name "another business" holds (`POST /__sandbox/taken`): a non-empty string, returned as given. */
export function parseTakenName(value: unknown): string {
  if (typeof value !== "string" || value === "") {
    throw new SandboxError(400, "username must be a non-empty string");
  }
  return value;
}

// --- faults and the fixed delay -------------------------------------------------------------

export type SandboxFaultMode = "status" | "slow" | "garbage" | "reset" | "hang";

/** A fault armed for upcoming Graph requests; fault-modes.ts says what each mode does. */
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

/** A checked fault: its status, delay and count always present. */
export type NormalizedFault = SandboxFault & { status: number; delayMs: number; count: number };

const FAULT_KEYS = new Set([
  "mode",
  "status",
  "body",
  "rawBody",
  "example",
  "headers",
  "delayMs",
  "count",
  "path",
]);

/**
 * A fault, checked, with its defaults: `SandboxFault` → `NormalizedFault` (`status` the given
 * one, else the example's, else 500, and within 200-599; `delayMs` ≥ 0, default 1000; `count` a
 * positive integer or Infinity, default 1; `headers` copied). Throws a 400 SandboxError for an
 * unknown mode, field or example, or a value of the wrong type.
 */
export function parseFault(value: unknown): NormalizedFault {
  if (!isRecord(value)) throw new SandboxError(400, "fault must be a JSON object");
  rejectUnknownKeys(value, FAULT_KEYS, "fault");
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

/** The fixed delay before every Graph answer (`POST /__sandbox/delay`): a finite number ≥ 0 of ms. */
export function parseDelay(ms: unknown): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new SandboxError(400, "ms must be a non-negative number");
  }
  return ms;
}

// --- options of approve, revoke and hand-made deliveries -----------------------------------

/**
 * A control body of options: undefined (no body) → `{}`; a JSON object whose keys are all in
 * `keys` → the same object. 400 otherwise. Only the names are checked here, so that the methods
 * the options go to, called in-process too, check the values: approve and revoke with
 * `checkTime` and `checkDuplicates`; webhooks.ts's deliverRaw takes its own as they come.
 */
export function optionsOf(body: unknown, keys: readonly string[]): Record<string, never> {
  if (body === undefined) return {};
  if (!isRecord(body)) throw new SandboxError(400, "body must be a JSON object");
  const extra = Object.keys(body).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw new SandboxError(400, `unknown option(s) ${extra.join(", ")}`);
  return body as Record<string, never>;
}

/** A webhook's `time`: undefined (= now), or a finite number of unix seconds; 400 otherwise. */
export function checkTime(time: unknown): number | undefined {
  if (time !== undefined && (typeof time !== "number" || !Number.isFinite(time))) {
    throw new SandboxError(400, "time must be unix seconds (a number)");
  }
  return time;
}

/** How many extra times approve re-sends its webhook: undefined (= 0) or an integer ≥ 0; 400 otherwise. */
export function checkDuplicates(value: unknown): number {
  const duplicates = value ?? 0;
  if (typeof duplicates !== "number" || !Number.isInteger(duplicates) || duplicates < 0) {
    throw new SandboxError(400, "duplicates must be a non-negative integer");
  }
  return duplicates;
}
