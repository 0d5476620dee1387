/**
 * Meta's rules for a number's business username, applied to the number's stored record (the
 * store hands the record itself, and these functions change it):
 *
 * - a claim (POST) is checked in Meta's order once the Graph gate has let it through: its body,
 *   the name's format, the number's eligibility (147002, 147003, 147004), then who holds the
 *   name: another business or a number of another portfolio (147001), a number of the same
 *   portfolio (147005, moved with `force_transfer`);
 * - a release (DELETE), Meta's approval and its revocation, each with the webhook Meta sends;
 * - suggestions: free, valid names built from the display name.
 *
 * The format rule is the service's own (functions/core/validation/username-format.ts), so the
 * stand-in accepts exactly the names the service would forward; only the sentences are Meta's.
 * A refused request changes nothing.
 */
import { brokenUsernameRule } from "../functions/core/validation/username-format.ts";
import { isRecord, SandboxError } from "./control-input.ts";
import { type GraphReply, graphError } from "./graph-reply.ts";
import type { SandboxPhone } from "./sandbox-phone.ts";
import type { WebhookEvent } from "./webhooks.ts";

/** What a claim must know of the other numbers: who holds a name, and names held elsewhere. */
export interface NameRegistry {
  /** The number holding this lower-cased name, as stored. */
  holderOf(lowerName: string): SandboxPhone | undefined;
  /** Whether this lower-cased name belongs to another business. */
  isTaken(lowerName: string): boolean;
}

/** What Meta says of each of the service's username rules, by rule id. */
const META_RULE_MESSAGES: Record<string, (name: string) => string> = {
  length: () => "Username must be between 3 and 35 characters long.",
  characters: () => "Username can only contain English letters, numbers, periods and underscores.",
  letter: () => "Username must contain at least one English letter.",
  "edge-period": () => "Username cannot start or end with a period.",
  "consecutive-periods": () => "Username cannot contain two periods in a row.",
  "www-prefix": () => "Username cannot start with 'www'.",
  "domain-suffix": (name) =>
    `Username cannot end with a domain suffix such as ${name.slice(name.lastIndexOf(".")).toLowerCase()}.`,
};

/** Meta's username format rules; returns the broken rule as Meta's sentence, or undefined when valid. */
export function usernameFormatProblem(name: string): string | undefined {
  const rule = brokenUsernameRule(name);
  if (!rule) return undefined;
  // A rule the service adds before Meta's sentence for it is known still gets a sentence.
  return (META_RULE_MESSAGES[rule.id] ?? (() => `Username ${rule.message}.`))(name);
}

const TRANSFER_ACTIONS = ["none", "force_transfer"];

const invalidParameter = (details: string): GraphReply =>
  graphError(400, { message: "(#100) Invalid parameter", type: "OAuthException", code: 100, details });

const usernameError = (code: number, message: string, details: string): GraphReply =>
  graphError(400, { message, type: "OAuthException", code, details });

/** GET /username: 200 `{ username?, status? }`, each present when the number has one (`{}` when neither). */
export function usernameOf(phone: SandboxPhone): GraphReply {
  const body: { username?: string; status?: string } = {};
  if (phone.username !== undefined) body.username = phone.username;
  if (phone.status !== undefined) body.status = phone.status;
  return { status: 200, body };
}

/**
 * POST /username with `rawBody` = `{ "username": string, "transfer_action"?: "none" |
 * "force_transfer" }` → 200 `{ status: "reserved" | "approved" }`, or a 400 Graph error: code
 * 100 (body, format), 147002-147004 (eligibility), 147001 (taken elsewhere), 147005 (held in the
 * same portfolio, without `force_transfer`). Changes `phone`, and the holder it takes the name
 * from, only on success.
 */
export function claimUsername(phone: SandboxPhone, rawBody: string, names: NameRegistry): GraphReply {
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
  const holder = names.holderOf(key);
  const ownName = holder === phone;
  if ((names.isTaken(key) && !ownName) || (holder && !ownName && holder.businessId !== phone.businessId)) {
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

/**
 * DELETE /username → 200 `{ success: true }` with the `deleted` webhook (no username), the name
 * gone and the status `deleted`; or 200 `{ success: false }`, unchanged, when it has no name.
 */
export function releaseUsername(phone: SandboxPhone): GraphReply {
  if (phone.username === undefined) return { status: 200, body: { success: false } };
  delete phone.username;
  phone.status = "deleted";
  return {
    status: 200,
    body: { success: true },
    event: webhookEvent(phone, undefined, { status: "deleted" }),
  };
}

/**
 * Meta's review finishes: the name becomes visible (status `approved`). Returns the webhook Meta
 * sends, `{ username, status: "approved" }` at `time` (unix seconds, default now); 409
 * SandboxError when the number has no name.
 */
export function approveUsername(phone: SandboxPhone, time?: number): WebhookEvent {
  if (phone.username === undefined) {
    throw new SandboxError(409, `phone ${phone.phoneNumberId} has no username to approve`);
  }
  // Approving an approved name again only re-sends the webhook (a late duplicate).
  phone.status = "approved";
  return webhookEvent(phone, time, { username: phone.username, status: "approved" });
}

/**
 * Meta takes the name away: no name, status `deleted`. Returns the webhook Meta sends,
 * `{ status: "deleted", context: "revoked" }` at `time` (unix seconds, default now); 409
 * SandboxError when the number has no name.
 */
export function revokeUsername(phone: SandboxPhone, time?: number): WebhookEvent {
  if (phone.username === undefined) {
    throw new SandboxError(409, `phone ${phone.phoneNumberId} has no username to revoke`);
  }
  delete phone.username;
  phone.status = "deleted";
  return webhookEvent(phone, time, { status: "deleted", context: "revoked" });
}

/**
 * A change made without a request through the service: another partner on the number, its owner
 * in WhatsApp Manager, or Meta itself. Sets the number's name (none with `deleted`) and status,
 * and returns the webhook Meta sends, at `time` (unix seconds, default now). 400 SandboxError
 * for a name Meta would refuse.
 */
export function changeFromOutside(
  phone: SandboxPhone,
  change: { username?: string; status: string },
  time?: number,
): WebhookEvent {
  if (change.status === "deleted") {
    delete phone.username;
    phone.status = "deleted";
    return webhookEvent(phone, time, { status: "deleted" });
  }
  const username = change.username ?? phone.username;
  if (username === undefined) throw new SandboxError(400, "a name is needed unless the status is deleted");
  const problem = usernameFormatProblem(username);
  if (problem) throw new SandboxError(400, problem);
  phone.username = username;
  phone.status = change.status;
  return webhookEvent(phone, time, { username, status: change.status });
}

/**
 * GET /username_suggestions' names: up to three lower-case names built from the display name
 * (`<base>`, `<base>_official`, `_support`, `_hq`, `_app`, then `<base>_1`, `_2`, …), each valid
 * and held by no one.
 */
export function suggestUsernames(phone: SandboxPhone, names: NameRegistry): string[] {
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
    if (usernameFormatProblem(name) || names.isTaken(name) || names.holderOf(name) || out.includes(name)) {
      continue;
    }
    out.push(name);
  }
  return out;
}

const digits = (text: string): string => text.replace(/\D/g, "");
const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

function webhookEvent(
  phone: SandboxPhone,
  time: number | undefined,
  value: Pick<WebhookEvent, "username" | "status" | "context">,
): WebhookEvent {
  return {
    wabaId: phone.wabaId,
    time: time ?? unixSeconds(Date.now()),
    // Meta's payload carries digits only, whatever the display format.
    displayPhoneNumber: digits(phone.displayPhoneNumber),
    ...value,
  };
}
