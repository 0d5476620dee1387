/**
 * What the CLI shows of a phone number: an allow-list of fields, so the encrypted token (and any
 * field added to the record later) never reaches the output unless it is named here. The fields
 * Meta chose the text of (status, context, usernames) are shown through escapeTerminal
 * (cli/terminal-text.ts), in text and JSON alike: a control, C1 or bidirectional character Meta
 * sent shows as an escape (`\x1b`), never as a terminal sequence or a line of its own.
 */
import type { HistoryEvent, PhoneRecord } from "../functions/core/username-state/records.ts";
import { escapeTerminal } from "./terminal-text.ts";

export interface PhoneView {
  phoneNumberId: string;
  tenantId: string;
  wabaId: string;
  /** Every Meta account the number is under (Meta's account split); the first is `wabaId`. */
  accountIds?: string[];
  /** The WhatsApp Account id the paths also accept for this number. */
  whatsappAccountId?: string;
  businessId: string;
  displayPhoneNumber: string;
  username?: string;
  status?: string;
  updatedAt?: string;
  source?: string;
  context?: string;
}

export interface HistoryView {
  eventId: string;
  at: string;
  source: string;
  /** Who made it: `this_service`, `outside`; absent on items recorded before origins (unknown). */
  origin?: string;
  /** The API key id whose request it was, for `this_service`. */
  requestedBy?: string;
  username?: string;
  status?: string;
  previousUsername?: string;
  previousStatus?: string;
  context?: string;
  /** Set on the number that lost a name to another number of its portfolio. */
  transferredTo?: string;
  /** Set on the number that took its name from another number of its portfolio. */
  transferredFrom?: string;
  /** The webhook's `entry.time` (epoch seconds). */
  eventTime?: number;
  requestId?: string;
}

/** Fields whose text comes from Meta (or a client, through Meta): escaped for display. */
const FROM_OUTSIDE = new Set(["username", "status", "context", "previousUsername", "previousStatus"]);

/** Keeps the listed keys, in the listed order, dropping absent ones; text from outside escaped. */
function pick<T>(source: Record<string, unknown>, fields: ReadonlyArray<keyof T & string>): T {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = source[field];
    if (value === undefined || value === null) continue;
    out[field] = FROM_OUTSIDE.has(field) && typeof value === "string" ? escapeTerminal(value) : value;
  }
  return out as T;
}

const PHONE_FIELDS = [
  "phoneNumberId",
  "tenantId",
  "wabaId",
  "accountIds",
  "whatsappAccountId",
  "businessId",
  "displayPhoneNumber",
  "username",
  "status",
  "updatedAt",
  "source",
  "context",
] as const satisfies ReadonlyArray<keyof PhoneView>;

const HISTORY_FIELDS = [
  "eventId",
  "at",
  "source",
  "origin",
  "requestedBy",
  "username",
  "status",
  "previousUsername",
  "previousStatus",
  "context",
  "transferredTo",
  "transferredFrom",
  "eventTime",
  "requestId",
] as const satisfies ReadonlyArray<keyof HistoryView>;

export function phoneView(phone: PhoneRecord): PhoneView {
  // The record keeps the accounts besides `wabaId`; the view names them all, first the first.
  const accountIds = phone.accountIds?.length ? [phone.wabaId, ...phone.accountIds] : undefined;
  return pick<PhoneView>({ ...phone, accountIds } as unknown as Record<string, unknown>, PHONE_FIELDS);
}

export function historyView(event: HistoryEvent): HistoryView {
  return pick<HistoryView>(event as unknown as Record<string, unknown>, HISTORY_FIELDS);
}

/** `name (status)`, `(none)` when the number holds no username. */
export function describeUsername(username: string | undefined, status: string | undefined): string {
  const name = username === undefined ? "(none)" : escapeTerminal(username);
  return status ? `${name} (${escapeTerminal(status)})` : name;
}
