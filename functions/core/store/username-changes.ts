/**
 * The only writer of username state. Every change is one DynamoDB transaction that
 *  - updates the phone record, conditional on the version it was decided from,
 *  - appends the history event at version + 1 (so history and state can never disagree; the
 *    history item is also the change's outbox record, see phones.ts HistoryEvent),
 *  - keeps the per-portfolio username holder marker pointing at the number that holds a name,
 *    taking the name from another number of the portfolio when Meta gave it to this one,
 *  - completes the intent (lease) of the call whose answer it records (store/intents.ts),
 *  - de-duplicates webhook events (below).
 * A lost race (condition failure) re-reads and decides again: no update is ever lost.
 *
 * Ordering (username-state/ordering.ts, docs/reliability.md): a webhook event applies unless the
 * record is surely newer; an answer of Meta applies only when surely newer than the record, and
 * a POST or DELETE whose answer disagrees with a record of the same moment leaves the number
 * unresolved for the reconciler. A change that takes a name from another number of the portfolio
 * is judged against that number's record the same way, so an older event never undoes a newer
 * transfer.
 *
 * De-duplication. `stateEpoch` never moves back, so an event applied once is stale afterwards,
 * unless the state was replaced within that same second. Only then can a redelivery apply again,
 * so only then are markers needed:
 *  - the record names the event its state came from (`stateEvent`); a change that replaces the
 *    state within the same second writes that event's marker;
 *  - an event arriving at the very second of the stored state is checked against its marker
 *    (present: applied before, a duplicate).
 * An entry without `entry.time` cannot be ordered: it never dates the state, and its marker
 * (its content) is written when it applies, so a replay is a duplicate whenever it comes.
 * Every timed event applied at a later second (nearly all of them) costs no marker item at all.
 * A webhook delivery's changes go through username-change-batches.ts, which writes the same
 * items (built here) for many numbers per transaction and comes back here for transfers.
 */
import { GetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { newEventId } from "../event-id.ts";
import {
  compareWindows,
  judgeAnswer,
  type Observation,
  recordedWindow,
  webhookMayApply,
} from "../username-state/ordering.ts";
import type { HistoryEvent, PhoneRecord } from "../username-state/records.ts";
import type { ChangeSource, UsernameState } from "../username-state/state.ts";
import { sameState, usernameKey } from "../username-state/state.ts";
import { dynamo, tableName } from "./client.ts";
import { endLeaseUpdate, type Lease, type LeaseEnd, releaseLease } from "./intents.ts";
import { keys } from "./keys.ts";
import { getPhone } from "./phones.ts";

const WEBHOOK_MARKER_TTL_SECONDS = 8 * 24 * 3600; // Meta retries for 7 days.
const MAX_ATTEMPTS = 12;

export interface Decision {
  state: UsernameState;
  /**
   * Epoch seconds the new state is as of (webhook: entry.time). Absent for an answer of Meta (the
   * writer dates it by its observation) and for an entry without `entry.time` (it dates nothing).
   */
  stateEpoch?: number;
  context?: string;
  eventTime?: number;
}

export interface ChangeRequest {
  phoneNumberId: string;
  source: ChangeSource;
  requestId?: string;
  /** The record as already read by the caller, to save a read on the first attempt. */
  current?: PhoneRecord;
  /** Decides the new state from the current record; `undefined` means leave it as it is. */
  decide(current: PhoneRecord): Decision | undefined;
  /** Webhook events: the identity of the delivery, for de-duplication. */
  webhookEvent?: WebhookEventId;
  /** Answers of Meta (API, reconciler): when Meta made the change, for the ordering rule. */
  observation?: Observation;
  /**
   * The record as read before the call to Meta was sent: while it is still the record, the
   * answer is surely newer than everything in it.
   */
  readBeforeSent?: PhoneRecord;
  /** The lease of the call whose answer this is: ended by this change, in its transaction. */
  lease?: Lease;
  /**
   * Record only while no other caller holds the number's lease (a GET's answer: a POST or
   * DELETE in flight will record the newer truth).
   */
  onlyWhenFree?: boolean;
}

export interface WebhookEventId {
  /** entry.time, epoch seconds (the receipt time for an entry without one). */
  time: number;
  status: string;
  username?: string;
  /** The entry had no `entry.time`: identified by its content, never dates the state. */
  untimed?: boolean;
  /**
   * An entry dated too far in the future to be ordered (`untimed`): its own `entry.time`, which
   * still tells it apart from another event of the same content (a redelivery has the same).
   */
  aheadTime?: number;
}

export type ChangeOutcome =
  | { applied: true; phone: PhoneRecord; transferredFrom?: string }
  | {
      applied: false;
      /**
       * `unchanged`: nothing to change; `duplicate`: a webhook event applied before; `missing`: no
       * such number; `stale`: older than the record (or than the record of the number holding
       * the name); `superseded`: an answer of Meta the record is already as new as;
       * `unresolved`: an answer whose order against the record is unknown (the reconciler reads
       * Meta); `busy`: another caller holds the number's lease (only with `onlyWhenFree`);
       * `deferred`: not attempted, the caller's deadline was too near (a webhook's redelivery
       * applies it).
       */
      reason:
        | "unchanged"
        | "duplicate"
        | "missing"
        | "stale"
        | "superseded"
        | "unresolved"
        | "busy"
        | "deferred";
      phone?: PhoneRecord;
    };

/** The number the portfolio's holder marker names; `phone` only when it really still holds the name. */
interface Holder {
  phoneNumberId: string;
  phone?: PhoneRecord;
}

export async function applyUsernameChange(request: ChangeRequest): Promise<ChangeOutcome> {
  let current = request.current ?? (await getPhone(request.phoneNumberId, true));
  let holder: Holder | undefined;
  let dropOldMarker = false;
  const { observation, lease } = request;
  /** Ends the lease (if any) with the outcome; the outcome stands even if that fails. */
  const finish = async (outcome: ChangeOutcome, end: LeaseEnd): Promise<ChangeOutcome> => {
    if (lease) await releaseLease(lease, end);
    return outcome;
  };

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!current) return finish({ applied: false, reason: "missing" }, "unchanged");
    const decision = request.decide(current);
    if (!decision) return finish({ applied: false, reason: "unchanged", phone: current }, "resolved");
    // Everything in the record read before the call was sent happened before Meta answered it:
    // the answer is newer. Only a record written meanwhile is judged by the ordering rule.
    if (observation && current.version !== request.readBeforeSent?.version) {
      const verdict = judgeAnswer(observation, decision.state, current);
      if (verdict !== "apply") {
        return finish(
          { applied: false, reason: verdict, phone: current },
          verdict === "superseded" ? "resolved" : "unresolved",
        );
      }
    }
    if (sameState(current, decision.state)) {
      const event = request.webhookEvent;
      if (
        !event ||
        event.untimed ||
        decision.stateEpoch === undefined ||
        !isNewer(decision.stateEpoch, current.stateEpoch)
      ) {
        return finish({ applied: false, reason: "unchanged", phone: current }, "resolved");
      }
      // Same state, newer event: move the state's as-of time forward (no history: nothing
      // changed), or an older event still in flight would overwrite this newer truth.
      const advanced = await advanceStateEpoch(current, decision.stateEpoch, event);
      if (advanced) return { applied: false, reason: "unchanged", phone: advanced };
      current = await getPhone(request.phoneNumberId, true);
      continue;
    }
    if (holder?.phone && decision.state.username) {
      const verdict = mayTakeName(request, decision, holder.phone);
      if (verdict !== "apply")
        return finish(
          { applied: false, reason: verdict, phone: current },
          verdict === "stale" ? "resolved" : "unresolved",
        );
    }

    const plan = planTransaction(current, decision, request, holder, dropOldMarker);
    try {
      await dynamo().send(new TransactWriteCommand({ TransactItems: plan.items }));
      return {
        applied: true,
        phone: plan.next,
        ...(plan.transferredFrom ? { transferredFrom: plan.transferredFrom } : {}),
      };
    } catch (error) {
      const failed = cancelledItems(error);
      if (!failed) throw error;
      if (failed.size === 0) {
        // Another transaction touched the same items at the same moment: back off, re-read.
        await sleep(5 + Math.random() * 20 * (attempt + 1));
        current = await getPhone(request.phoneNumberId, true);
        continue;
      }
      // Our lease ended and was taken over: the number is unresolved already; record nothing.
      if (failed.has(plan.index.lease)) return { applied: false, reason: "unresolved", phone: current };
      if (failed.has(plan.index.free)) return { applied: false, reason: "busy", phone: current };
      if (failed.has(plan.index.webhookMarker))
        return { applied: false, reason: "duplicate", phone: current };
      if (failed.has(plan.index.phone)) current = await getPhone(request.phoneNumberId, true);
      if (failed.has(plan.index.oldMarker)) dropOldMarker = true;
      if (failed.has(plan.index.newMarker) || failed.has(plan.index.holder)) {
        holder = await readHolder(current, decision.state);
      }
    }
  }
  throw new Error(
    `username change for ${request.phoneNumberId} kept conflicting after ${MAX_ATTEMPTS} attempts`,
  );
}

/**
 * Whether a change may take its name from the number of the portfolio that holds it: only when
 * it is not older than that number's record (its hold of the name may be the newer truth).
 */
function mayTakeName(
  request: ChangeRequest,
  decision: Decision,
  holder: PhoneRecord,
): "apply" | "stale" | "unresolved" {
  const { observation, webhookEvent } = request;
  if (observation) {
    const order = compareWindows(
      { from: observation.sentAt, to: observation.receivedAt },
      recordedWindow(holder),
    );
    if (order === "newer") return "apply";
    return order === "older" || observation.kind === "read" ? "stale" : "unresolved";
  }
  if (webhookEvent && !webhookEvent.untimed && decision.stateEpoch !== undefined) {
    return webhookMayApply(decision.stateEpoch, holder) ? "apply" : "stale";
  }
  return "apply";
}

function planTransaction(
  current: PhoneRecord,
  decision: Decision,
  request: ChangeRequest,
  holder: Holder | undefined,
  dropOldMarker: boolean,
) {
  const TableName = tableName();
  const now = new Date().toISOString();
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]> = [];
  const index = {
    phone: -1,
    oldMarker: -1,
    newMarker: -1,
    holder: -1,
    webhookMarker: -1,
    lease: -1,
    free: -1,
  };

  const next = nextRecord(current, decision, request, now);

  index.phone = items.push({ Update: phoneUpdate(TableName, current, next, request.webhookEvent) }) - 1;
  const history = historyPut(TableName, current, next, request, now);
  items.push({ Put: history });
  if (request.lease) index.lease = items.push({ Update: endLeaseUpdate(request.lease, "resolved") }) - 1;
  else if (request.onlyWhenFree) {
    index.free =
      items.push({
        ConditionCheck: {
          TableName,
          Key: keys.intent(current.phoneNumberId),
          ConditionExpression: "attribute_not_exists(leaseOwner) OR leaseUntil < :now",
          ExpressionAttributeValues: { ":now": Date.now() },
        },
      }) - 1;
  }

  const oldKey = current.username ? usernameKey(current.username) : undefined;
  const newKey = next.username ? usernameKey(next.username) : undefined;
  if (oldKey && oldKey !== newKey && !dropOldMarker) {
    index.oldMarker =
      items.push({
        Delete: {
          TableName,
          Key: keys.usernameHolder(current.businessId, oldKey),
          ConditionExpression: "phoneNumberId = :me",
          ExpressionAttributeValues: { ":me": current.phoneNumberId },
        },
      }) - 1;
  }
  const otherHolder = newKey && holder && holder.phoneNumberId !== current.phoneNumberId ? holder : undefined;
  if (newKey && (newKey !== oldKey || otherHolder)) {
    index.newMarker =
      items.push({
        Put: {
          TableName,
          Item: {
            ...keys.usernameHolder(current.businessId, newKey),
            type: "usernameHolder",
            phoneNumberId: current.phoneNumberId,
            username: next.username,
          },
          ...(otherHolder
            ? {
                ConditionExpression: "phoneNumberId = :holder",
                ExpressionAttributeValues: { ":holder": otherHolder.phoneNumberId },
              }
            : {
                ConditionExpression: "attribute_not_exists(pk) OR phoneNumberId = :me",
                ExpressionAttributeValues: { ":me": current.phoneNumberId },
              }),
        },
      }) - 1;
  }
  const holderPhone = otherHolder?.phone;
  if (holderPhone) {
    history.Item.transferredFrom = holderPhone.phoneNumberId;
    // Meta moved the name to this number (force_transfer, or an approval it decided): the
    // number of the same portfolio that held it here loses it, in this same write.
    // Not an event of that number: its state is as of this change, with no event of its own.
    const lost = nextRecord(
      holderPhone,
      { ...decision, state: {}, context: undefined },
      { source: "transfer", ...(request.observation ? { observation: request.observation } : {}) },
      now,
    );
    index.holder = items.push({ Update: phoneUpdate(TableName, holderPhone, lost) }) - 1;
    const { put } = markersFor(holderPhone, lost);
    if (put) items.push({ Put: markerPut(TableName, holderPhone.phoneNumberId, put) });
    items.push({
      Put: {
        TableName,
        Item: {
          ...keys.history(holderPhone.phoneNumberId, lost.version),
          type: "history",
          ...historyEvent(holderPhone, lost, { ...request, source: "transfer" }, now),
          transferredTo: current.phoneNumberId,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    });
  }
  const markers = markersFor(current, next, request.webhookEvent);
  if (markers.check) {
    index.webhookMarker =
      items.push({ ConditionCheck: markerCheck(TableName, current.phoneNumberId, markers.check) }) - 1;
  }
  if (markers.checkAndPut) {
    index.webhookMarker =
      items.push({ Put: markerPut(TableName, current.phoneNumberId, markers.checkAndPut, true) }) - 1;
  }
  if (markers.put) items.push({ Put: markerPut(TableName, current.phoneNumberId, markers.put) });
  return { items, index, next, transferredFrom: holderPhone?.phoneNumberId };
}

/** A webhook event's identity as its marker's sort key. */
export function eventKey(phoneNumberId: string, event: WebhookEventId): string {
  return keys.webhookMarker(
    phoneNumberId,
    event.untimed ? (event.aheadTime !== undefined ? `ahead${event.aheadTime}` : "untimed") : event.time,
    event.status,
    event.username,
  ).sk;
}

/**
 * The markers a change from `current` to `next` needs (module comment): `check`, the arriving
 * event's marker must not exist; `checkAndPut`, the same, and it is written (an entry without
 * time); `put`, the replaced state's event becomes a duplicate.
 */
export function markersFor(
  current: PhoneRecord,
  next: PhoneRecord,
  event?: WebhookEventId,
): { check?: string; checkAndPut?: string; put?: string } {
  const own = event ? eventKey(current.phoneNumberId, event) : undefined;
  const sameSecond = current.stateEpoch !== undefined && next.stateEpoch === current.stateEpoch;
  const replaced =
    sameSecond && current.stateEvent && current.stateEvent !== own ? current.stateEvent : undefined;
  return {
    ...(own && event?.untimed ? { checkAndPut: own } : own && sameSecond ? { check: own } : {}),
    ...(replaced ? { put: replaced } : {}),
  };
}

export function markerCheck(TableName: string, phoneNumberId: string, sk: string) {
  return {
    TableName,
    Key: { pk: keys.phone(phoneNumberId).pk, sk },
    ConditionExpression: "attribute_not_exists(pk)",
  };
}

/** A marker; `onlyIfNew` makes the put the check as well (one item may appear once per transaction). */
export function markerPut(TableName: string, phoneNumberId: string, sk: string, onlyIfNew = false) {
  return {
    TableName,
    Item: {
      pk: keys.phone(phoneNumberId).pk,
      sk,
      type: "webhookMarker",
      expiresAt: Math.floor(Date.now() / 1000) + WEBHOOK_MARKER_TTL_SECONDS,
    },
    ...(onlyIfNew ? { ConditionExpression: "attribute_not_exists(pk)" } : {}),
  };
}

/**
 * The record after one change: every change is the next version; the as-of time never moves
 * back. An answer of Meta is dated by its observation (the second it was sent, and its window);
 * a webhook event by its second, which clears any observation window.
 */
export function nextRecord(
  current: PhoneRecord,
  decision: Decision,
  request: Pick<ChangeRequest, "source" | "webhookEvent" | "observation">,
  at: string,
): PhoneRecord {
  const { observation } = request;
  const epoch = observation ? Math.floor(observation.sentAt / 1000) : decision.stateEpoch;
  const stateEpoch = epoch === undefined ? current.stateEpoch : Math.max(epoch, current.stateEpoch ?? epoch);
  return {
    ...current,
    username: decision.state.username,
    status: decision.state.status,
    context: decision.context,
    updatedAt: at,
    source: request.source,
    stateEpoch,
    stateSentAt: observation?.sentAt,
    stateReceivedAt: observation?.receivedAt,
    stateEvent: request.webhookEvent ? eventKey(current.phoneNumberId, request.webhookEvent) : undefined,
    version: current.version + 1,
  };
}

export function historyPut(
  TableName: string,
  current: PhoneRecord,
  next: PhoneRecord,
  request: ChangeRequest,
  at: string,
) {
  return {
    TableName,
    Item: {
      ...keys.history(current.phoneNumberId, next.version),
      type: "history",
      ...historyEvent(current, next, request, at),
    },
    ConditionExpression: "attribute_not_exists(pk)",
  };
}

export function phoneUpdate(
  TableName: string,
  current: PhoneRecord,
  next: PhoneRecord,
  webhookEvent?: WebhookEventId,
) {
  const set: string[] = ["#version = :next", "updatedAt = :updatedAt", "#source = :source"];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ":expected": current.version,
    ":next": next.version,
    ":updatedAt": next.updatedAt,
    ":source": next.source,
  };
  const optional: Array<[string, string | number | undefined]> = [
    ["username", next.username],
    ["usernameKey", next.username ? usernameKey(next.username) : undefined],
    ["#status", next.status],
    ["#context", next.context],
    ["stateEpoch", next.stateEpoch],
    ["stateSentAt", next.stateSentAt],
    ["stateReceivedAt", next.stateReceivedAt],
    ["stateEvent", next.stateEvent],
  ];
  for (const [name, value] of optional) {
    const placeholder = `:${name.replace("#", "")}`;
    if (value === undefined) remove.push(name);
    else {
      set.push(`${name} = ${placeholder}`);
      values[placeholder] = value;
    }
  }
  let condition = "#version = :expected";
  if (webhookEvent && !webhookEvent.untimed) {
    // An event older than the stored state never overwrites it.
    condition += " AND (attribute_not_exists(stateEpoch) OR stateEpoch <= :eventTime)";
    values[":eventTime"] = webhookEvent.time;
  }
  return {
    TableName,
    Key: keys.phone(current.phoneNumberId),
    UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: {
      "#version": "version",
      "#source": "source",
      "#status": "status",
      "#context": "context",
    },
    ExpressionAttributeValues: values,
  };
}

function historyEvent(
  current: PhoneRecord,
  next: PhoneRecord,
  request: Pick<ChangeRequest, "source" | "requestId" | "webhookEvent">,
  at: string,
): HistoryEvent {
  return {
    eventId: newEventId(Date.parse(at)),
    tenantId: current.tenantId,
    phoneNumberId: current.phoneNumberId,
    wabaId: current.wabaId,
    displayPhoneNumber: current.displayPhoneNumber,
    version: next.version,
    at,
    source: request.source,
    username: next.username,
    status: next.status,
    previousUsername: current.username,
    previousStatus: current.status,
    requestId: request.requestId,
    context: next.context,
    eventTime: request.webhookEvent && !request.webhookEvent.untimed ? request.webhookEvent.time : undefined,
  };
}

async function readHolder(
  current: PhoneRecord | undefined,
  state: UsernameState,
): Promise<Holder | undefined> {
  if (!current || !state.username) return undefined;
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: tableName(),
      Key: keys.usernameHolder(current.businessId, usernameKey(state.username)),
      ConsistentRead: true,
    }),
  );
  const holderId = Item?.phoneNumberId as string | undefined;
  if (!holderId || holderId === current.phoneNumberId) return undefined;
  const phone = await getPhone(holderId, true);
  const stillHolds =
    phone?.username !== undefined && usernameKey(phone.username) === usernameKey(state.username);
  return stillHolds ? { phoneNumberId: holderId, phone } : { phoneNumberId: holderId };
}

/**
 * Indexes of the transaction items whose condition failed; an empty set when the transaction
 * only lost a race (TransactionConflict); undefined for any other error (thrown on).
 */
export function cancelledItems(error: unknown): Set<number> | undefined {
  const e = error as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  if (e.name !== "TransactionCanceledException" || !e.CancellationReasons) return undefined;
  const failed = new Set<number>();
  let conflict = false;
  e.CancellationReasons.forEach((reason, i) => {
    if (reason.Code === "ConditionalCheckFailed") failed.add(i);
    if (reason.Code === "TransactionConflict") conflict = true;
  });
  if (failed.size === 0 && !conflict) return undefined;
  return failed;
}

export function isNewer(epoch: number, than: number | undefined): boolean {
  return than === undefined || epoch > than;
}

/** Returns the updated record, or undefined when the record changed meanwhile (re-read and decide again). */
async function advanceStateEpoch(
  current: PhoneRecord,
  epoch: number,
  event: WebhookEventId,
): Promise<PhoneRecord | undefined> {
  // The state is now as of this event (a webhook's second, no longer an answer's window):
  // replaced within this second, its marker gets written.
  const stateEvent = eventKey(current.phoneNumberId, event);
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.phone(current.phoneNumberId),
        UpdateExpression: "SET stateEpoch = :epoch, stateEvent = :event REMOVE stateSentAt, stateReceivedAt",
        ConditionExpression:
          "#version = :version AND (attribute_not_exists(stateEpoch) OR stateEpoch < :epoch)",
        ExpressionAttributeNames: { "#version": "version" },
        ExpressionAttributeValues: { ":epoch": epoch, ":version": current.version, ":event": stateEvent },
      }),
    );
    const { stateSentAt: _sent, stateReceivedAt: _received, ...rest } = current;
    return { ...rest, stateEpoch: epoch, stateEvent };
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return undefined;
    throw error;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
