/**
 * The only writer of username state. Every change is one DynamoDB transaction that
 *  - updates the phone record, conditional on the version it was decided from,
 *  - appends the history event at version + 1 (so history and state can never disagree),
 *  - keeps the per-portfolio username holder marker pointing at the number that holds a name,
 *    taking the name from another number of the portfolio when Meta gave it to this one,
 *  - for webhooks, records a de-duplication marker so a redelivery changes nothing.
 * A lost race (condition failure) re-reads and decides again: no update is ever lost.
 */
import { GetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ChangeSource, UsernameState } from "../usernames/state.ts";
import { sameState, usernameKey } from "../usernames/state.ts";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";
import { getPhone, type HistoryEvent, type PhoneRecord } from "./phones.ts";

const WEBHOOK_MARKER_TTL_SECONDS = 8 * 24 * 3600; // Meta retries for 7 days.
const MAX_ATTEMPTS = 12;

export interface Decision {
  state: UsernameState;
  /** Epoch seconds the new state is as of (webhook: entry.time; API: now). */
  stateEpoch: number;
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
  webhookEvent?: { time: number; status: string; username?: string };
}

export type ChangeOutcome =
  | { applied: true; phone: PhoneRecord; transferredFrom?: string }
  | { applied: false; reason: "unchanged" | "duplicate" | "missing"; phone?: PhoneRecord };

/** The number the portfolio's holder marker names; `phone` only when it really still holds the name. */
interface Holder {
  phoneNumberId: string;
  phone?: PhoneRecord;
}

export async function applyUsernameChange(request: ChangeRequest): Promise<ChangeOutcome> {
  let current = request.current ?? (await getPhone(request.phoneNumberId, true));
  let holder: Holder | undefined;
  let dropOldMarker = false;

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!current) return { applied: false, reason: "missing" };
    const decision = request.decide(current);
    if (!decision) return { applied: false, reason: "unchanged", phone: current };
    if (sameState(current, decision.state)) {
      if (!request.webhookEvent || !isNewer(decision.stateEpoch, current.stateEpoch)) {
        return { applied: false, reason: "unchanged", phone: current };
      }
      // Same state, newer event: move the state's as-of time forward (no history: nothing
      // changed), or an older event still in flight would overwrite this newer truth.
      const advanced = await advanceStateEpoch(current, decision.stateEpoch);
      if (advanced) return { applied: false, reason: "unchanged", phone: advanced };
      current = await getPhone(request.phoneNumberId, true);
      continue;
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
  const index = { phone: -1, oldMarker: -1, newMarker: -1, holder: -1, webhookMarker: -1 };

  const next: PhoneRecord = {
    ...current,
    username: decision.state.username,
    status: decision.state.status,
    context: decision.context,
    updatedAt: now,
    source: request.source,
    stateEpoch: decision.stateEpoch,
    version: current.version + 1,
  };

  index.phone = items.push({ Update: phoneUpdate(TableName, current, next, request.webhookEvent) }) - 1;
  items.push({
    Put: {
      TableName,
      Item: {
        ...keys.history(current.phoneNumberId, next.version),
        type: "history",
        ...historyEvent(current, next, request, now),
      },
      ConditionExpression: "attribute_not_exists(pk)",
    },
  });

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
    // Meta moved the name to this number (force_transfer, or an approval it decided): the
    // number of the same portfolio that held it here loses it, in this same write.
    const lost: PhoneRecord = {
      ...holderPhone,
      username: undefined,
      status: undefined,
      context: undefined,
      updatedAt: now,
      source: request.source,
      stateEpoch: decision.stateEpoch,
      version: holderPhone.version + 1,
    };
    index.holder = items.push({ Update: phoneUpdate(TableName, holderPhone, lost) }) - 1;
    items.push({
      Put: {
        TableName,
        Item: {
          ...keys.history(holderPhone.phoneNumberId, lost.version),
          type: "history",
          ...historyEvent(holderPhone, lost, request, now),
          transferredTo: current.phoneNumberId,
        },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    });
  }
  if (request.webhookEvent) {
    const { time, status, username } = request.webhookEvent;
    index.webhookMarker =
      items.push({
        Put: {
          TableName,
          Item: {
            ...keys.webhookMarker(current.phoneNumberId, time, status, username),
            type: "webhookMarker",
            expiresAt: Math.floor(Date.now() / 1000) + WEBHOOK_MARKER_TTL_SECONDS,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      }) - 1;
  }
  return { items, index, next, transferredFrom: holderPhone?.phoneNumberId };
}

function phoneUpdate(
  TableName: string,
  current: PhoneRecord,
  next: PhoneRecord,
  webhookEvent?: { time: number },
) {
  const set: string[] = [
    "#version = :next",
    "updatedAt = :updatedAt",
    "#source = :source",
    "stateEpoch = :epoch",
  ];
  const remove: string[] = [];
  const values: Record<string, unknown> = {
    ":expected": current.version,
    ":next": next.version,
    ":updatedAt": next.updatedAt,
    ":source": next.source,
    ":epoch": next.stateEpoch,
  };
  const optional: Array<[string, string | undefined]> = [
    ["username", next.username],
    ["usernameKey", next.username ? usernameKey(next.username) : undefined],
    ["#status", next.status],
    ["#context", next.context],
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
  if (webhookEvent) {
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
  request: ChangeRequest,
  at: string,
): HistoryEvent {
  return {
    version: next.version,
    at,
    source: request.source,
    username: next.username,
    status: next.status,
    previousUsername: current.username,
    previousStatus: current.status,
    requestId: request.requestId,
    context: next.context,
    eventTime: request.webhookEvent?.time,
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
function cancelledItems(error: unknown): Set<number> | undefined {
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

function isNewer(epoch: number, than: number | undefined): boolean {
  return than === undefined || epoch > than;
}

/** Returns the updated record, or undefined when the record changed meanwhile (re-read and decide again). */
async function advanceStateEpoch(current: PhoneRecord, epoch: number): Promise<PhoneRecord | undefined> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.phone(current.phoneNumberId),
        UpdateExpression: "SET stateEpoch = :epoch",
        ConditionExpression:
          "#version = :version AND (attribute_not_exists(stateEpoch) OR stateEpoch < :epoch)",
        ExpressionAttributeNames: { "#version": "version" },
        ExpressionAttributeValues: { ":epoch": epoch, ":version": current.version },
      }),
    );
    return { ...current, stateEpoch: epoch };
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return undefined;
    throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
