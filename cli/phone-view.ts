/**
 * What the CLI shows of a phone number: an allow-list of fields, so the encrypted token (and any
 * field added to the record later) never reaches the output unless it is named here.
 */
import type { HistoryEvent, PhoneRecord } from "../functions/core/username-state/records.ts";

export interface PhoneView {
  phoneNumberId: string;
  tenantId: string;
  wabaId: string;
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

/** Keeps the listed keys, in the listed order, dropping absent ones. */
function pick<T>(source: Record<string, unknown>, fields: ReadonlyArray<keyof T & string>): T {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    if (source[field] !== undefined && source[field] !== null) out[field] = source[field];
  }
  return out as T;
}

const PHONE_FIELDS = [
  "phoneNumberId",
  "tenantId",
  "wabaId",
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
  return pick<PhoneView>(phone as unknown as Record<string, unknown>, PHONE_FIELDS);
}

export function historyView(event: HistoryEvent): HistoryView {
  return pick<HistoryView>(event as unknown as Record<string, unknown>, HISTORY_FIELDS);
}

/** `name (status)`, `(none)` when the number holds no username. */
export function describeUsername(username: string | undefined, status: string | undefined): string {
  const name = username ?? "(none)";
  return status ? `${name} (${status})` : name;
}
