/**
 * Applies one webhook delivery's `business_username_updates` (docs/spec.md, "Deliveries").
 *  - Entries are checked one by one: a malformed entry (or change) is logged and skipped, the
 *    valid ones are applied.
 *  - Changes are grouped per phone number and applied in event-time order.
 *  - The numbers are read together, not one by one: lookups by WABA id + display digits in
 *    batches of 100 (store/phones.ts, findPhonesByWabaDisplay), strongly consistent, a few
 *    rounds at a time; then all of them are committed at once.
 *  - Each number's changes are planned by the one planner (username-state/planner.ts) and the
 *    numbers' plans are packed into few transactions by the one committer
 *    (store/state-committer.ts), exactly as a single change would be.
 *  - Ordering and de-duplication are decided by conditional writes, so concurrent and repeated
 *    deliveries are safe.
 *  - A storage failure on any number fails the delivery (Meta redelivers); what was applied
 *    stays applied, and the redelivery applies only what is missing.
 *  - No read round starts that might not finish before the invocation's deadline, and no
 *    transaction starts within a second of it: the changes not started are counted `deferred`,
 *    the delivery is answered 503 in time, and the redelivery applies them (and finds the
 *    others applied).
 */
import { mapWithConcurrency } from "../concurrency.ts";
import { logger } from "../logger.ts";
import { countMetric } from "../metrics.ts";
import { findPhonesByWabaDisplay, wabaDisplayId } from "../store/phones.ts";
import { commitUsernameChanges, DeferredError } from "../store/state-committer.ts";
import { storageFailure } from "../store/store-errors.ts";
import type { WebhookChange } from "../username-state/planner.ts";
import type { PhoneRecord } from "../username-state/records.ts";
import {
  USERNAME_UPDATE_FIELDS,
  type UsernameUpdateValue,
  usernameUpdateValueSchema,
  type WebhookEnvelope,
  webhookEntrySchema,
} from "../validation/webhook.ts";

/** One BatchGetItem of lookups, one of records. */
const NUMBERS_PER_ROUND = 100;
/** Read rounds in flight at once. */
const PARALLEL_ROUNDS = 4;

export interface UsernameUpdate {
  wabaId: string;
  displayDigits: string;
  /** entry.time, unix seconds; the receipt time when the entry had none (`untimed`). */
  time: number;
  /** The entry had no `entry.time` (or one too far ahead): it cannot be ordered and dates nothing. */
  untimed: boolean;
  /** The `entry.time` of an entry dated too far ahead, kept as part of its identity. */
  aheadTime?: number;
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
  /** Entries that are not a WhatsApp Business Account entry (logged, skipped). */
  malformed: number;
  failed: number;
  /** Changes not attempted because the invocation's deadline was near (the redelivery applies them). */
  deferred: number;
}

export function digitsOnly(text: string): string {
  return text.replace(/\D/g, "");
}

/** The username updates of a delivery; other fields, malformed changes and entries are counted and skipped. */
export function extractUsernameUpdates(payload: WebhookEnvelope, receivedAt: number) {
  const updates: UsernameUpdate[] = [];
  let ignored = 0;
  let changes = 0;
  let malformed = 0;
  // One log line per delivery, whatever its size (a 3 MB delivery holds ~17,000 changes): counts
  // and the first few examples.
  const malformedEntries: number[] = [];
  const malformedUpdates: { wabaId: string; field: string }[] = [];
  const skewedEntries: { wabaId: string; aheadSeconds: number }[] = [];
  for (const [index, raw] of payload.entry.entries()) {
    const entry = webhookEntrySchema.safeParse(raw);
    if (!entry.success) {
      malformed++;
      malformedEntries.push(index);
      continue;
    }
    for (const change of entry.data.changes ?? []) {
      changes++;
      if (!(USERNAME_UPDATE_FIELDS as readonly string[]).includes(change.field)) {
        ignored++;
        continue;
      }
      const value = usernameUpdateValueSchema.safeParse(change.value);
      if (!value.success) {
        malformedUpdates.push({ wabaId: entry.data.id, field: change.field });
        malformed++;
        continue;
      }
      const time = entry.data.time;
      // An event cannot be later than its own delivery: Meta's clock is ahead of ours and the
      // event cannot be ordered against our answers. It is taken as an entry without time: it
      // applies once (its content and its time are its identity) and dates nothing.
      const skewed = time !== undefined && time > receivedAt + FUTURE_TOLERANCE_SECONDS;
      if (skewed) skewedEntries.push({ wabaId: entry.data.id, aheadSeconds: time - receivedAt });
      updates.push({
        wabaId: entry.data.id,
        displayDigits: digitsOnly(value.data.display_phone_number),
        time: time === undefined || skewed ? receivedAt : time,
        untimed: time === undefined || skewed,
        ...(skewed ? { aheadTime: time } : {}),
        value: value.data,
      });
    }
  }
  if (malformed > 0) {
    logger.warn("malformed webhook entries or username updates skipped", {
      malformedEntries: malformedEntries.length,
      malformedUpdates: malformedUpdates.length,
      firstEntryIndexes: malformedEntries.slice(0, LOGGED_EXAMPLES),
      firstUpdates: malformedUpdates.slice(0, LOGGED_EXAMPLES),
    });
  }
  if (skewedEntries.length > 0) {
    logger.warn("webhook entries dated in the future: applied once, dating nothing", {
      entries: skewedEntries.length,
      maxAheadSeconds: Math.max(...skewedEntries.map((entry) => entry.aheadSeconds)),
      first: skewedEntries.slice(0, LOGGED_EXAMPLES),
    });
  }
  return { updates, ignored, changes, malformed };
}

/** Examples a summary log line names, at most (the counts cover the rest). */
const LOGGED_EXAMPLES = 5;

/** How far Meta's clock may run ahead of ours before an entry's time is not trusted (seconds). */
const FUTURE_TOLERANCE_SECONDS = 5;

/** Time kept free after the last read round may start: its reads and the writes after them. */
const MIN_ROUND_RESERVE_MS = 1_500;

export async function applyUsernameUpdates(
  payload: WebhookEnvelope,
  requestId: string,
  /** Epoch ms by which the answer must be on its way (the invocation's deadline, less a reserve). */
  deadline = Number.POSITIVE_INFINITY,
): Promise<DeliverySummary> {
  const { updates, ignored, changes, malformed } = extractUsernameUpdates(
    payload,
    Math.floor(Date.now() / 1000),
  );
  const summary: DeliverySummary = {
    changes,
    applied: 0,
    duplicate: 0,
    stale: 0,
    unchanged: 0,
    unknownNumber: 0,
    ignored,
    malformed,
    failed: 0,
    deferred: 0,
  };

  const byNumber = new Map<string, UsernameUpdate[]>();
  for (const update of updates) {
    const key = wabaDisplayId(update);
    byNumber.set(key, [...(byNumber.get(key) ?? []), update]);
  }
  // Read in rounds of 100 numbers (a BatchGetItem of lookups, one of records), a few at a time;
  // then one commit of every number's changes, packed into transactions across the whole
  // delivery (16 at a time, none started within a second of the deadline).
  const groups = [...byNumber.values()];
  const rounds: UsernameUpdate[][][] = [];
  for (let i = 0; i < groups.length; i += NUMBERS_PER_ROUND)
    rounds.push(groups.slice(i, i + NUMBERS_PER_ROUND));
  let slowestRoundMs = 0;
  /** WABA id → how many of the delivery's numbers under it are unknown. */
  const unknown = new Map<string, number>();
  const read = await mapWithConcurrency(rounds, PARALLEL_ROUNDS, async (round) => {
    const started = Date.now();
    if (started + Math.max(MIN_ROUND_RESERVE_MS, 2 * slowestRoundMs) > deadline) {
      summary.deferred += round.reduce((sum, group) => sum + group.length, 0);
      return [];
    }
    const numbers = (await readNumbers(round, summary, requestId, unknown)) ?? [];
    slowestRoundMs = Math.max(slowestRoundMs, Date.now() - started);
    return numbers;
  });
  countUnknownNumbers(unknown, summary.unknownNumber);
  const numbers = read.flatMap((round) => (round.status === "fulfilled" ? round.value : []));
  if (numbers.length === 0) return summary;
  const results = await commitUsernameChanges(
    numbers.map(({ phone, changes }) => ({ phoneNumberId: phone.phoneNumberId, record: phone, changes })),
    { deliveryChanges: updates.length, deadline },
  );
  for (const [n, result] of results.entries()) {
    const { phone, changes } = numbers[n] as (typeof numbers)[number];
    if (result.status === "rejected") {
      if (result.reason instanceof DeferredError) {
        summary.deferred += changes.length;
        continue;
      }
      summary.failed++;
      logger.error("webhook change not stored", storageFailure(result.reason));
      continue;
    }
    for (const [i, outcome] of result.value.entries()) {
      if (outcome.applied && changes[i]?.value.context === REVOKED_CONTEXT) {
        logger.warn("username revoked by Meta", {
          metric: "UsernameRevoked",
          phoneNumberId: phone.phoneNumberId,
        });
        countMetric("UsernameRevoked", 1, { phoneNumberId: phone.phoneNumberId });
      }
      if (outcome.applied) summary.applied++;
      else if (outcome.reason === "deferred") summary.deferred++;
      else if (outcome.reason === "duplicate") summary.duplicate++;
      else if (outcome.reason === "stale") summary.stale++;
      else summary.unchanged++;
    }
  }
  return summary;
}

/** WABA ids named in the one line about unknown numbers, at most (the count says how many there were). */
const UNKNOWN_WABAS_NAMED = 20;

/**
 * One metric line per delivery for all its unknown numbers (`UnknownPhoneNumber` = their
 * changes): how many numbers and WABAs, and the WABA ids (the first 20, with the single one as
 * `wabaId` when there is one), so an operator can find and register them (docs/runbook.md).
 */
function countUnknownNumbers(unknown: ReadonlyMap<string, number>, changes: number): void {
  if (unknown.size === 0) return;
  const wabas = [...unknown.keys()];
  countMetric("UnknownPhoneNumber", changes, {
    numbers: [...unknown.values()].reduce((sum, n) => sum + n, 0),
    wabas: wabas.length,
    ...(wabas.length === 1 ? { wabaId: wabas[0] } : {}),
    wabaIds: wabas.slice(0, UNKNOWN_WABAS_NAMED).join(","),
  });
}

/** The round's numbers with their changes in order; unknown ones are counted and left out. */
async function readNumbers(
  round: UsernameUpdate[][],
  summary: DeliverySummary,
  requestId: string,
  unknown: Map<string, number>,
) {
  let phones: Map<string, PhoneRecord>;
  try {
    phones = await findPhonesByWabaDisplay(round.map((group) => group[0] as UsernameUpdate));
  } catch (error) {
    // Nothing of these numbers applied: they failed, and Meta redelivers the delivery.
    summary.failed += round.length;
    logger.error("webhook numbers not read", storageFailure(error));
    return undefined;
  }
  // By phone number id: two spellings of one number are one sequence of changes.
  const byPhone = new Map<string, { phone: PhoneRecord; updates: UsernameUpdate[] }>();
  for (const group of round) {
    const first = group[0] as UsernameUpdate;
    const phone = phones.get(wabaDisplayId(first));
    if (!phone) {
      // Acknowledged, not retried: Meta would redeliver it for 7 days to no effect. Summed up
      // once per delivery (countUnknownNumbers): a large delivery must not write a line per number.
      unknown.set(first.wabaId, (unknown.get(first.wabaId) ?? 0) + 1);
      summary.unknownNumber += group.length;
      continue;
    }
    const entry = byPhone.get(phone.phoneNumberId) ?? { phone, updates: [] };
    entry.updates.push(...group);
    byPhone.set(phone.phoneNumberId, entry);
  }
  return [...byPhone.values()].map(({ phone, updates }) => ({
    phone,
    // Stable: changes of one entry.time keep the payload's order.
    changes: [...updates].sort((a, b) => a.time - b.time).map((u) => webhookChange(u, requestId)),
  }));
}

/** One update as a change for the planner: its event's identity and Meta's value. */
function webhookChange(update: UsernameUpdate, requestId: string): WebhookChange {
  const { value, time, untimed } = update;
  return {
    kind: "webhook",
    requestId,
    event: {
      time,
      status: value.status,
      ...(value.username ? { username: value.username } : {}),
      ...(untimed ? { untimed } : {}),
      ...(update.aheadTime !== undefined ? { aheadTime: update.aheadTime } : {}),
    },
    value: {
      status: value.status,
      ...(value.username !== undefined ? { username: value.username } : {}),
      ...(value.context !== undefined ? { context: value.context } : {}),
    },
  };
}

/** Meta's `context` on a change that took a username away. */
const REVOKED_CONTEXT = "revoked";
