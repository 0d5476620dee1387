/**
 * Applies one webhook delivery's `business_username_updates` (SPEC §4).
 *  - Changes are grouped per phone number and applied in event-time order, one number at a
 *    time, different numbers in parallel (bounded), so a 1000-change batch finishes quickly.
 *  - Each number is looked up once per delivery (WABA id + display digits, through the GSI).
 *  - Ordering and de-duplication are decided by the state writer's conditional writes, so
 *    concurrent and repeated deliveries are safe.
 *  - A storage failure on any change fails the delivery (Meta redelivers); what was applied
 *    stays applied, and the redelivery applies only what is missing.
 */
import { mapWithConcurrency } from "../concurrency.ts";
import { logger } from "../logger.ts";
import { findPhoneByWabaDisplay, type PhoneRecord } from "../store/phones.ts";
import { applyUsernameChange, type Decision } from "../store/username-changes.ts";
import type { UsernameState } from "../usernames/state.ts";
import {
  USERNAME_UPDATE_FIELDS,
  type UsernameUpdateValue,
  usernameUpdateValueSchema,
  type WebhookPayload,
} from "../validation/webhook.ts";

const PARALLEL_NUMBERS = 16;

export interface UsernameUpdate {
  wabaId: string;
  displayDigits: string;
  /** entry.time, unix seconds. */
  time: number;
  value: UsernameUpdateValue;
}

export interface DeliverySummary {
  changes: number;
  applied: number;
  duplicate: number;
  stale: number;
  unchanged: number;
  unknownNumber: number;
  ignored: number;
  failed: number;
}

export function digitsOnly(text: string): string {
  return text.replace(/\D/g, "");
}

/** The username updates of a payload; every other field is counted and ignored. */
export function extractUsernameUpdates(payload: WebhookPayload, receivedAt: number) {
  const updates: UsernameUpdate[] = [];
  let ignored = 0;
  let changes = 0;
  for (const entry of payload.entry) {
    for (const change of entry.changes ?? []) {
      changes++;
      if (!(USERNAME_UPDATE_FIELDS as readonly string[]).includes(change.field)) {
        ignored++;
        continue;
      }
      const value = usernameUpdateValueSchema.safeParse(change.value);
      if (!value.success) {
        logger.warn("malformed username update ignored", { wabaId: entry.id, field: change.field });
        ignored++;
        continue;
      }
      updates.push({
        wabaId: entry.id,
        displayDigits: digitsOnly(value.data.display_phone_number),
        time: entry.time ?? receivedAt,
        value: value.data,
      });
    }
  }
  return { updates, ignored, changes };
}

export async function applyUsernameUpdates(
  payload: WebhookPayload,
  requestId: string,
): Promise<DeliverySummary> {
  const { updates, ignored, changes } = extractUsernameUpdates(payload, Math.floor(Date.now() / 1000));
  const summary: DeliverySummary = {
    changes,
    applied: 0,
    duplicate: 0,
    stale: 0,
    unchanged: 0,
    unknownNumber: 0,
    ignored,
    failed: 0,
  };

  const byNumber = new Map<string, UsernameUpdate[]>();
  for (const update of updates) {
    const key = `${update.wabaId}#${update.displayDigits}`;
    byNumber.set(key, [...(byNumber.get(key) ?? []), update]);
  }

  const groups = [...byNumber.values()];
  const results = await mapWithConcurrency(groups, PARALLEL_NUMBERS, async (group) => {
    const first = group[0] as UsernameUpdate;
    const phone = await findPhoneByWabaDisplay(first.wabaId, first.displayDigits);
    if (!phone) {
      // Acknowledged, not retried: Meta would redeliver it for 7 days to no effect.
      logger.warn("webhook for an unknown phone number", {
        metric: "UnknownPhoneNumber",
        wabaId: first.wabaId,
        changes: group.length,
      });
      summary.unknownNumber += group.length;
      return;
    }
    const ordered = [...group].sort((a, b) => a.time - b.time);
    let current: PhoneRecord | undefined = phone;
    for (const update of ordered) {
      current = await applyOne(current, phone.phoneNumberId, update, requestId, summary);
    }
  });

  for (const result of results) {
    if (result.status === "rejected") {
      summary.failed++;
      logger.error("webhook change not stored", { errorName: (result.reason as Error)?.name });
    }
  }
  return summary;
}

async function applyOne(
  current: PhoneRecord | undefined,
  phoneNumberId: string,
  update: UsernameUpdate,
  requestId: string,
  summary: DeliverySummary,
): Promise<PhoneRecord | undefined> {
  const { value, time } = update;
  let stale = false;
  const outcome = await applyUsernameChange({
    phoneNumberId,
    source: "webhook",
    requestId,
    ...(current ? { current } : {}),
    webhookEvent: { time, status: value.status, ...(value.username ? { username: value.username } : {}) },
    decide: (phone): Decision | undefined => {
      if (phone.stateEpoch !== undefined && time < phone.stateEpoch) {
        stale = true;
        return undefined;
      }
      stale = false;
      return { state: nextState(phone, value), stateEpoch: time, context: value.context, eventTime: time };
    },
  });
  if (outcome.applied) summary.applied++;
  else if (outcome.reason === "duplicate") summary.duplicate++;
  else if (stale) summary.stale++;
  else summary.unchanged++;
  return outcome.phone;
}

function nextState(phone: PhoneRecord, value: UsernameUpdateValue): UsernameState {
  if (value.status === "deleted") return { status: "deleted" };
  // A status change that does not name the username keeps the one on record.
  return { username: value.username ?? phone.username, status: value.status };
}
