/**
 * A webhook delivery's username changes, many numbers per transaction. The one-change path
 * (username-changes.ts) costs a TransactWriteItems per change, 1000 for a full delivery; here a
 * delivery costs about (3 items × changes) / 100 of them.
 *
 * Each number's changes are decided one after the other from its record, exactly as the
 * one-change path decides them, into one plan: the phone update from the version read to the
 * last one, a history item per applied change, the de-duplication markers the one-change path
 * would write or check (only for changes within the second of the state they replace), and the
 * net moves of the username-holder markers. Plans are packed into transactions of at most
 * 100 items, spread over up to 16 parallel transactions (a small delivery gets one transaction
 * per number). A cancelled transaction names its failing items:
 *  - an event's marker exists: it was applied before (a duplicate), decide again without it;
 *  - the phone record or a history item: the record moved on, re-read it and decide again;
 *  - a username-holder marker: another number holds the name (a transfer);
 * and the rest of the pack is tried again. Transfers, numbers whose changes only move the
 * as-of time forward, and plans too large for one transaction take the one-change path.
 */
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../concurrency.ts";
import type { PhoneRecord } from "../username-state/records.ts";
import { sameState, usernameKey } from "../username-state/state.ts";
import { itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";
import { getPhones } from "./phones.ts";
import {
  applyUsernameChange,
  type ChangeOutcome,
  type ChangeRequest,
  cancelledItems,
  eventKey,
  historyPut,
  isNewer,
  markerCheck,
  markerPut,
  markersFor,
  nextRecord,
  phoneUpdate,
  sleep,
} from "./username-changes.ts";

/** DynamoDB's limit of items per TransactWriteItems. */
const TRANSACTION_ITEM_LIMIT = 100;
const PARALLEL_TRANSACTIONS = 16;
/** Lost races (TransactionConflict, or the record moving on) a number may meet before the one-change path. */
const MAX_RETRIES = 12;

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]
>[number];
type Role = "phone" | "history" | "holder" | { marker: number };

export interface NumberChanges {
  phone: PhoneRecord;
  /** Webhook changes (each with its `webhookEvent`) in the order to apply them (event time). */
  changes: readonly ChangeRequest[];
}

interface Plan {
  changes: readonly ChangeRequest[];
  /** The record the plan is decided from. */
  base: PhoneRecord;
  /** Changes whose marker exists: applied by an earlier delivery. */
  duplicates: Set<number>;
  outcomes: ChangeOutcome[];
  items: TransactItem[];
  roles: Role[];
  /** The username-holder markers the plan writes (one transaction may touch an item once). */
  holderKeys: string[];
  retries: number;
  oneByOne: boolean;
}

/**
 * A number's changes not written because the caller's deadline was too near to start their
 * transaction: nothing of them is applied, and a redelivery applies them.
 */
export class DeferredError extends Error {
  override name = "DeferredError";
}

/** A transaction this close to the deadline is not started (each takes milliseconds, rarely a second). */
const TRANSACTION_RESERVE_MS = 1_000;

/**
 * One outcome per change of each number, or the storage error that stopped that number
 * (DeferredError: not started, `deadline` was too near).
 */
export async function applyWebhookChanges(
  numbers: readonly NumberChanges[],
  options: { deliveryChanges?: number; deadline?: number } = {},
): Promise<PromiseSettledResult<ChangeOutcome[]>[]> {
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const tooLate = () => Date.now() + TRANSACTION_RESERVE_MS > deadline;
  const plans = numbers.map((number): Plan => {
    const plan: Plan = {
      changes: number.changes,
      base: number.phone,
      duplicates: new Set(),
      outcomes: [],
      items: [],
      roles: [],
      holderKeys: [],
      retries: 0,
      oneByOne: false,
    };
    decide(plan);
    return plan;
  });

  const failures = new Map<Plan, unknown>();
  const packs = pack(plans.filter(writes), options.deliveryChanges ?? numbers.length);
  await mapWithConcurrency(packs, PARALLEL_TRANSACTIONS, async (members) => {
    try {
      if (tooLate()) throw new DeferredError("the deadline is too near to start this transaction");
      await commit(members);
    } catch (error) {
      for (const plan of members.filter(writes)) failures.set(plan, error);
    }
  });
  const oneByOne = plans.filter((plan) => plan.oneByOne && !failures.has(plan));
  const settled = await mapWithConcurrency(oneByOne, PARALLEL_TRANSACTIONS, (plan) =>
    applyOneByOne(plan, tooLate),
  );

  return plans.map((plan): PromiseSettledResult<ChangeOutcome[]> => {
    if (failures.has(plan)) return { status: "rejected", reason: failures.get(plan) };
    if (plan.oneByOne) return settled[oneByOne.indexOf(plan)] as PromiseSettledResult<ChangeOutcome[]>;
    return { status: "fulfilled", value: plan.outcomes };
  });
}

function writes(plan: Plan): boolean {
  return plan.items.length > 0 && !plan.oneByOne;
}

/** Decides the plan's changes from `plan.base`, as applyUsernameChange would one by one. */
function decide(plan: Plan): void {
  const TableName = tableName();
  const at = new Date().toISOString();
  const { base } = plan;
  const me = base.phoneNumberId;
  let current = base;
  let advanced = false;
  let firstEvent: ChangeRequest["webhookEvent"];
  /** Marker sort key → the change it checks (if any) and whether it is written. */
  const markers = new Map<string, { check?: number; put?: boolean }>();
  const namesPassed = new Set<string>();
  plan.outcomes = [];
  plan.items = [];
  plan.roles = [];
  plan.holderKeys = [];

  for (const [i, change] of plan.changes.entries()) {
    const event = change.webhookEvent;
    if (!event) throw new Error("applyWebhookChanges takes webhook changes only");
    if (plan.duplicates.has(i)) {
      plan.outcomes.push({ applied: false, reason: "duplicate", phone: current });
      continue;
    }
    const decision = change.decide(current);
    if (!decision) {
      plan.outcomes.push({ applied: false, reason: "unchanged", phone: current });
      continue;
    }
    if (sameState(current, decision.state)) {
      // Same state, newer event: only the as-of time moves (see applyUsernameChange); an entry
      // without time dates nothing.
      if (
        !event.untimed &&
        decision.stateEpoch !== undefined &&
        isNewer(decision.stateEpoch, current.stateEpoch)
      ) {
        const { stateSentAt: _sent, stateReceivedAt: _received, ...rest } = current;
        current = { ...rest, stateEpoch: decision.stateEpoch, stateEvent: eventKey(me, event) };
        advanced = true;
      }
      plan.outcomes.push({ applied: false, reason: "unchanged", phone: current });
      continue;
    }
    const next = nextRecord(current, decision, change, at);
    const needs = markersFor(current, next, event);
    // Applied earlier in this delivery, then replaced (within the same second, or an entry
    // without time whose marker is always written): a duplicate.
    const own = needs.check ?? needs.checkAndPut;
    if (own && markers.has(own)) {
      plan.outcomes.push({ applied: false, reason: "duplicate", phone: current });
      continue;
    }
    if (needs.check) markers.set(needs.check, { check: i });
    if (needs.checkAndPut) markers.set(needs.checkAndPut, { check: i, put: true });
    if (needs.put) markers.set(needs.put, { ...markers.get(needs.put), put: true });
    plan.items.push({ Put: historyPut(TableName, current, next, change, at) });
    plan.roles.push("history");
    if (next.username) namesPassed.add(usernameKey(next.username));
    firstEvent ??= event;
    current = next;
    plan.outcomes.push({ applied: true, phone: next });
  }

  if (plan.items.length === 0) {
    // Nothing to record, or only the as-of time to move: one conditional update, done there.
    plan.oneByOne = advanced;
    return;
  }
  plan.items.unshift({ Update: phoneUpdate(TableName, base, current, firstEvent) });
  plan.roles.unshift("phone");
  for (const [sk, marker] of markers) {
    // Checked and written: the put is the check (an item may appear once per transaction).
    if (marker.check !== undefined) {
      plan.items.push(
        marker.put
          ? { Put: markerPut(TableName, me, sk, true) }
          : { ConditionCheck: markerCheck(TableName, me, sk) },
      );
      plan.roles.push({ marker: marker.check });
    } else {
      plan.items.push({ Put: markerPut(TableName, me, sk) });
      plan.roles.push("history");
    }
  }

  const before = base.username ? usernameKey(base.username) : undefined;
  const after = current.username ? usernameKey(current.username) : undefined;
  const holder = (name: string) => keys.usernameHolder(base.businessId, name);
  const addHolderItem = (item: TransactItem, name: string) => {
    plan.items.push(item);
    plan.roles.push("holder");
    plan.holderKeys.push(itemId(holder(name)));
  };
  if (before && before !== after) {
    addHolderItem(
      {
        Delete: {
          TableName,
          Key: holder(before),
          ConditionExpression: "phoneNumberId = :me",
          ExpressionAttributeValues: { ":me": me },
        },
      },
      before,
    );
  }
  if (after && after !== before) {
    addHolderItem(
      {
        Put: {
          TableName,
          Item: { ...holder(after), type: "usernameHolder", phoneNumberId: me, username: current.username },
          ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
          ExpressionAttributeValues: { ":me": me },
        },
      },
      after,
    );
  }
  for (const name of namesPassed) {
    if (name === before || name === after) continue;
    // A name held only between two changes: one at a time it would be taken, then let go.
    // Held by another number, it is a transfer: the condition fails and the one-change path runs.
    addHolderItem(
      {
        Delete: {
          TableName,
          Key: holder(name),
          ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
          ExpressionAttributeValues: { ":me": me },
        },
      },
      name,
    );
  }
  if (plan.items.length > TRANSACTION_ITEM_LIMIT) plan.oneByOne = true;
}

/**
 * Packs of plans, each one transaction: at most 100 items, and no holder marker twice. Small
 * deliveries are spread one number per transaction (parallel, and a failure stops only that
 * number); large ones fill transactions, so about 16 transactions carry the delivery.
 */
function pack(plans: readonly Plan[], deliveryChanges: number): Plan[][] {
  const total = plans.reduce((sum, plan) => sum + plan.items.length, 0);
  // Sized by the whole delivery (it may come in rounds): at least 2 items per change.
  const limit = Math.min(
    TRANSACTION_ITEM_LIMIT,
    Math.ceil(Math.max(total, 2 * deliveryChanges) / PARALLEL_TRANSACTIONS),
  );
  const packs: Plan[][] = [];
  let members: Plan[] = [];
  let size = 0;
  let holders = new Set<string>();
  for (const plan of plans) {
    const clash = plan.holderKeys.some((key) => holders.has(key));
    if (members.length > 0 && (size + plan.items.length > limit || clash)) {
      packs.push(members);
      members = [];
      size = 0;
      holders = new Set();
    }
    members.push(plan);
    size += plan.items.length;
    for (const key of plan.holderKeys) holders.add(key);
  }
  if (members.length > 0) packs.push(members);
  return packs;
}

/** Writes the pack's plans in one transaction, deciding failed plans again until it commits. */
async function commit(members: readonly Plan[]): Promise<void> {
  let pending = members.filter(writes);
  while (pending.length > 0) {
    const owners = pending.flatMap((plan) => plan.roles.map((role) => ({ plan, role })));
    try {
      await dynamo().send(new TransactWriteCommand({ TransactItems: pending.flatMap((plan) => plan.items) }));
      return;
    } catch (error) {
      const failed = cancelledItems(error);
      if (!failed) throw error;
      const reread = new Set<Plan>();
      const redecide = new Set<Plan>();
      if (failed.size === 0) {
        // Another transaction touched the same items at the same moment: back off, re-read all.
        for (const plan of pending) reread.add(plan);
        await sleep(5 + Math.random() * 20 * Math.max(...pending.map((plan) => plan.retries + 1)));
      }
      for (const index of failed) {
        const owner = owners[index];
        if (!owner) continue;
        const { plan, role } = owner;
        if (role === "holder") plan.oneByOne = true;
        else if (role === "phone" || role === "history") reread.add(plan);
        else {
          plan.duplicates.add(role.marker);
          redecide.add(plan);
        }
      }
      for (const plan of reread) {
        plan.retries += 1;
        if (plan.retries > MAX_RETRIES) plan.oneByOne = true;
      }
      const toRead = [...reread].filter((plan) => !plan.oneByOne);
      const fresh =
        toRead.length > 0
          ? await getPhones(
              toRead.map((p) => p.base.phoneNumberId),
              true,
            )
          : new Map();
      for (const plan of toRead) {
        const record = fresh.get(plan.base.phoneNumberId);
        if (record) {
          plan.base = record;
          redecide.add(plan);
        } else {
          // Removed meanwhile: nothing to apply it to (applyUsernameChange says the same).
          plan.items = [];
          plan.outcomes = plan.changes.map((_, i) =>
            plan.duplicates.has(i)
              ? { applied: false, reason: "duplicate" }
              : { applied: false, reason: "missing" },
          );
        }
      }
      for (const plan of redecide) if (!plan.oneByOne && plan.items.length > 0) decide(plan);
      pending = pending.filter(writes);
    }
  }
}

/** The one-change path for one number's changes, in order (transfers and other rare cases). */
async function applyOneByOne(plan: Plan, tooLate: () => boolean): Promise<ChangeOutcome[]> {
  let current: PhoneRecord | undefined = plan.base;
  const outcomes: ChangeOutcome[] = [];
  for (const [i, change] of plan.changes.entries()) {
    if (plan.duplicates.has(i)) {
      outcomes.push({ applied: false, reason: "duplicate", ...(current ? { phone: current } : {}) });
      continue;
    }
    // Each change is its own transaction here: none starts too close to the deadline.
    if (tooLate()) {
      outcomes.push({ applied: false, reason: "deferred", ...(current ? { phone: current } : {}) });
      continue;
    }
    const outcome = await applyUsernameChange({ ...change, ...(current ? { current } : {}) });
    outcomes.push(outcome);
    current = outcome.phone;
  }
  return outcomes;
}
