/**
 * Delivery state of one event to one endpoint (`DELIVERY#<event id>` / `ENDPOINT#<endpoint id>`),
 * written after each attempt. A first attempt that succeeds costs exactly one write (a
 * conditional put); only unfinished deliveries carry index attributes:
 *  - waiting for a retry: gsi3 `DUE#<shard>` / `<due epoch ms>#...` (the retry sweeper's index),
 *  - waiting or failed: gsi2 `TENANT#<t>` / `DELIVERY#<sequence number>#<endpoint id>` (the log).
 * A retry first claims the delivery: the claim counts the attempt (`attempts` + 1) before it is
 * sent and moves the due time past the attempt's lease, to when the next attempt would be due had
 * this one failed; so concurrent sweeps and duplicate messages send it once, and an attempt whose
 * outcome is never written (a store error, a crash) still counts and is followed by the next one
 * on schedule, never sent again. Its outcome is written only by the claim's holder. Finished
 * deliveries expire after DELIVERY_LOG_RETENTION_DAYS.
 */
import { createHash } from "node:crypto";
import { BatchWriteCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../concurrency.ts";
import { batchGetItems, itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { conditionalWrite } from "./conditional-write.ts";
import { keys } from "./keys.ts";

export const DELIVERY_LOG_RETENTION_DAYS = 30;
const DUE_SHARDS = 8;

export type DeliveryStatus = "pending" | "delivered" | "failed";

/** Which event goes to which endpoint. */
export interface DeliveryRef {
  eventId: string;
  endpointId: string;
  tenantId: string;
  sequence: number;
}

/** What one HTTP attempt came to. */
export interface AttemptResult {
  /** ISO time the attempt started. */
  at: string;
  durationMs: number;
  /** A 2xx answer. */
  ok: boolean;
  /** The endpoint's HTTP status, when it answered. */
  responseStatus?: number;
  /** Why it failed, in a few words (timeout, connection refused, redirect, HTTP 500...). */
  error?: string;
  /** The first characters of the answer's body, never more (WEBHOOK_RESPONSE_EXCERPT). */
  responseExcerpt?: string;
}

/** The state an attempt leaves: delivered, another attempt at `nextAttemptAt` (epoch ms), or failed. */
export type NextState =
  | { status: "delivered" }
  | { status: "pending"; nextAttemptAt: number }
  | { status: "failed" };

export interface DeliveryRecord extends DeliveryRef {
  status: DeliveryStatus;
  /** Attempts made (in the current round: `webhook redeliver` starts a new one). */
  attempts: number;
  /** Epoch ms of the next attempt, while pending. */
  nextAttemptAt?: number;
  lastAttemptAt?: string;
  lastDurationMs?: number;
  lastResponseStatus?: number;
  lastError?: string;
  lastResponseExcerpt?: string;
  createdAt: string;
  deliveredAt?: string;
  failedAt?: string;
  redeliveredAt?: string;
}

const STORED_FIELDS = [
  "eventId",
  "endpointId",
  "tenantId",
  "sequence",
  "status",
  "attempts",
  "nextAttemptAt",
  "lastAttemptAt",
  "lastDurationMs",
  "lastResponseStatus",
  "lastError",
  "lastResponseExcerpt",
  "createdAt",
  "deliveredAt",
  "failedAt",
  "redeliveredAt",
] as const;

function recordFromItem(item: Record<string, unknown>): DeliveryRecord {
  const record: Record<string, unknown> = {};
  for (const field of STORED_FIELDS) if (item[field] !== undefined) record[field] = item[field];
  return record as unknown as DeliveryRecord;
}

function dueShard(ref: Pick<DeliveryRef, "eventId" | "endpointId">): number {
  return (createHash("sha256").update(`${ref.eventId}#${ref.endpointId}`).digest()[0] as number) % DUE_SHARDS;
}

function retentionEnd(now: number): number {
  return Math.floor(now / 1000) + DELIVERY_LOG_RETENTION_DAYS * 24 * 3600;
}

/** The attributes an attempt sets and removes, for UpdateItem and for a first put alike. */
function stateAfter(ref: DeliveryRef, attempts: number, result: AttemptResult, next: NextState, now: number) {
  const set: Record<string, unknown> = {
    status: next.status,
    attempts,
    lastAttemptAt: result.at,
    lastDurationMs: Math.round(result.durationMs),
    lastResponseStatus: result.responseStatus,
    lastError: result.error,
    lastResponseExcerpt: result.responseExcerpt,
  };
  const remove = ["leaseToken"];
  if (next.status === "pending") {
    Object.assign(set, dueAttributes(ref, next.nextAttemptAt), unfinishedAttributes(ref));
    remove.push("deliveredAt", "failedAt", "expiresAt");
  } else {
    set.expiresAt = retentionEnd(now);
    remove.push("nextAttemptAt", "gsi3pk", "gsi3sk");
    if (next.status === "delivered") {
      set.deliveredAt = new Date(now).toISOString();
      remove.push("gsi2pk", "gsi2sk", "failedAt");
    } else {
      set.failedAt = new Date(now).toISOString();
      Object.assign(set, unfinishedAttributes(ref));
    }
  }
  for (const name of ["lastResponseStatus", "lastError", "lastResponseExcerpt"]) {
    if (set[name] === undefined) {
      delete set[name];
      remove.push(name);
    }
  }
  return { set, remove };
}

function dueAttributes(ref: DeliveryRef, nextAttemptAt: number) {
  return {
    nextAttemptAt,
    gsi3pk: keys.dueShard(dueShard(ref)),
    gsi3sk: keys.dueAt(nextAttemptAt, ref.eventId, ref.endpointId),
  };
}

function unfinishedAttributes(ref: DeliveryRef) {
  return {
    gsi2pk: keys.byTenant(ref.tenantId),
    gsi2sk: keys.unfinishedDelivery(ref.sequence, ref.endpointId),
  };
}

/** `extra` assignments are written as given (placeholders of their own). */
function updateExpression(
  set: Record<string, unknown>,
  remove: readonly string[],
  extra: readonly string[] = [],
) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments = Object.entries(set).map(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  assignments.push(...extra);
  const removals = remove.map((name, i) => {
    names[`#r${i}`] = name;
    return `#r${i}`;
  });
  return {
    UpdateExpression: `SET ${assignments.join(", ")}${removals.length ? ` REMOVE ${removals.join(", ")}` : ""}`,
    names,
    values,
  };
}

/** Delivery records by key (strongly consistent BatchGetItem); missing ones are absent. */
export async function getDeliveries(
  refs: readonly Pick<DeliveryRef, "eventId" | "endpointId">[],
): Promise<Map<string, DeliveryRecord>> {
  const items = await batchGetItems(
    refs.map((ref) => keys.delivery(ref.eventId, ref.endpointId)),
    { consistent: true },
  );
  const found = new Map<string, DeliveryRecord>();
  for (const item of items.values())
    found.set(itemId(item as { pk: string; sk: string }), recordFromItem(item));
  return found;
}

export function deliveryId(ref: Pick<DeliveryRef, "eventId" | "endpointId">): string {
  return itemId(keys.delivery(ref.eventId, ref.endpointId));
}

/** DynamoDB's limit of writes per BatchWriteItem. */
const WRITES_PER_CALL = 25;
const MAX_BATCH_ATTEMPTS = 8;

export interface FirstAttempt {
  ref: DeliveryRef;
  result: AttemptResult;
  next: NextState;
}

/**
 * The outcomes of first attempts, 25 per BatchWriteItem (writes DynamoDB leaves unprocessed are
 * sent again with backoff). Unconditional: the dispatcher only attempts a first delivery that has
 * no record yet, and a duplicate first attempt racing it would write the same kind of outcome.
 * This is the one write a successful delivery costs.
 */
export async function recordFirstAttempts(attempts: readonly FirstAttempt[]): Promise<void> {
  const TableName = tableName();
  const now = Date.now();
  const items = attempts.map(({ ref, result, next }) => ({
    PutRequest: {
      Item: {
        ...keys.delivery(ref.eventId, ref.endpointId),
        type: "webhookDelivery",
        eventId: ref.eventId,
        endpointId: ref.endpointId,
        tenantId: ref.tenantId,
        sequence: ref.sequence,
        createdAt: result.at,
        ...stateAfter(ref, 1, result, next, now).set,
      },
    },
  }));
  for (let i = 0; i < items.length; i += WRITES_PER_CALL) {
    let pending: typeof items = items.slice(i, i + WRITES_PER_CALL);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_BATCH_ATTEMPTS)
        throw new Error(`BatchWriteItem left ${pending.length} writes unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
      const answer = await dynamo().send(new BatchWriteCommand({ RequestItems: { [TableName]: pending } }));
      pending = (answer.UnprocessedItems?.[TableName] ?? []) as typeof items;
    }
  }
}

/** The condition of taking a delivery's next step: still pending with `attempts` attempts, and due at `now`. */
function pendingAndDue(
  attempts: number,
  now: number,
  names: Record<string, string>,
  values: Record<string, unknown>,
) {
  return {
    ConditionExpression: "#status = :pending AND #attempts = :attempts AND #due <= :now",
    ExpressionAttributeNames: {
      ...names,
      "#status": "status",
      "#attempts": "attempts",
      "#due": "nextAttemptAt",
    },
    ExpressionAttributeValues: { ...values, ":pending": "pending", ":attempts": attempts, ":now": now },
  };
}

/**
 * Claims the next attempt of a due delivery: only if it is still pending with `attempts` attempts
 * and due. The claim counts the attempt (`attempts` + 1) and moves the due time to `dueIfLost`
 * (epoch ms: past the attempt's lease, when the next attempt is due if this one records nothing),
 * so the sweep finds it again only if the holder never records an outcome. Returns false when
 * someone else has it or it moved on.
 */
export async function claimDelivery(
  ref: DeliveryRef,
  attempts: number,
  leaseToken: string,
  dueIfLost: number,
): Promise<boolean> {
  const { UpdateExpression, names, values } = updateExpression(
    { ...dueAttributes(ref, dueIfLost), leaseToken, attempts: attempts + 1 },
    [],
  );
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.delivery(ref.eventId, ref.endpointId),
        UpdateExpression,
        ...pendingAndDue(attempts, Date.now(), names, values),
      }),
    ),
  );
}

/**
 * Claims a first attempt that may have been sent already (a redelivered queue message, a stream
 * batch seen twice): creates the record, counting the attempt, only if the delivery has none.
 * Returns false when it has one (recorded or claimed elsewhere).
 */
export async function claimFirstDelivery(
  ref: DeliveryRef,
  leaseToken: string,
  dueIfLost: number,
): Promise<boolean> {
  return conditionalWrite(
    dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: {
          ...keys.delivery(ref.eventId, ref.endpointId),
          type: "webhookDelivery",
          eventId: ref.eventId,
          endpointId: ref.endpointId,
          tenantId: ref.tenantId,
          sequence: ref.sequence,
          status: "pending",
          attempts: 1,
          leaseToken,
          createdAt: new Date().toISOString(),
          ...dueAttributes(ref, dueIfLost),
          ...unfinishedAttributes(ref),
        },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    ),
  );
}

/**
 * Ends a pending delivery whose last attempt was claimed but never recorded (its lease is over):
 * `failed`, with `attempts` unchanged. False when it moved on meanwhile.
 */
export async function failUnrecordedDelivery(ref: DeliveryRef, attempts: number): Promise<boolean> {
  const now = Date.now();
  const { set, remove } = stateAfter(
    ref,
    attempts,
    {
      at: new Date(now).toISOString(),
      durationMs: 0,
      ok: false,
      error: "outcome of the last attempt not recorded",
    },
    { status: "failed" },
    now,
  );
  // The last attempt's own time and duration are unknown: keep what the claim left.
  delete set.lastAttemptAt;
  delete set.lastDurationMs;
  const { UpdateExpression, names, values } = updateExpression(set, remove);
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.delivery(ref.eventId, ref.endpointId),
        UpdateExpression,
        ...pendingAndDue(attempts, now, names, values),
      }),
    ),
  );
}

/**
 * The outcome of claimed attempt number `attempt` (counted by its claim); false when the claim
 * was lost meanwhile (its lease ran out and the delivery moved on): then nothing is written.
 */
export async function recordAttempt(
  ref: DeliveryRef,
  attempt: number,
  leaseToken: string,
  result: AttemptResult,
  next: NextState,
): Promise<boolean> {
  const { set, remove } = stateAfter(ref, attempt, result, next, Date.now());
  const { UpdateExpression, names, values } = updateExpression(set, remove);
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.delivery(ref.eventId, ref.endpointId),
        UpdateExpression,
        ConditionExpression: "leaseToken = :token AND #attempts = :attempts",
        ExpressionAttributeNames: { ...names, "#attempts": "attempts" },
        ExpressionAttributeValues: { ...values, ":token": leaseToken, ":attempts": attempt },
      }),
    ),
  );
}

/**
 * Schedules the event for the endpoint again, now, as a new round of attempts (the record is
 * created if the endpoint never had one, e.g. it was added after the event).
 */
export async function scheduleRedelivery(ref: DeliveryRef): Promise<void> {
  const now = Date.now();
  const iso = new Date(now).toISOString();
  const { UpdateExpression, names, values } = updateExpression(
    {
      type: "webhookDelivery",
      eventId: ref.eventId,
      endpointId: ref.endpointId,
      tenantId: ref.tenantId,
      sequence: ref.sequence,
      status: "pending",
      attempts: 0,
      redeliveredAt: iso,
      ...dueAttributes(ref, now),
      ...unfinishedAttributes(ref),
    },
    ["leaseToken", "deliveredAt", "failedAt", "expiresAt"],
    ["createdAt = if_not_exists(createdAt, :created)"],
  );
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.delivery(ref.eventId, ref.endpointId),
      UpdateExpression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ":created": iso },
    }),
  );
}

/** A delivery waiting for its next attempt, as the due index holds it. */
export interface DueDelivery extends DeliveryRef {
  attempts: number;
}

/**
 * Deliveries whose next attempt is due at `now` (epoch ms), oldest due first within each shard,
 * at most `limitPerShard` per shard. The index is eventually consistent: a claim decides.
 */
export async function dueDeliveries(now: number, limitPerShard: number): Promise<DueDelivery[]> {
  const shards = Array.from({ length: DUE_SHARDS }, (_, shard) => shard);
  const settled = await mapWithConcurrency(shards, DUE_SHARDS, async (shard) => {
    const { Items = [] } = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: "byDueTime",
        KeyConditionExpression: "gsi3pk = :shard AND gsi3sk < :until",
        ExpressionAttributeValues: {
          ":shard": keys.dueShard(shard),
          // Every sort key of a time up to `now` sorts below `<now + 1>`.
          ":until": String(Math.floor(now) + 1).padStart(13, "0"),
        },
        Limit: limitPerShard,
      }),
    );
    return Items.map(
      (item): DueDelivery => ({
        eventId: String(item.eventId),
        endpointId: String(item.endpointId),
        tenantId: String(item.tenantId),
        sequence: Number(item.sequence),
        attempts: Number(item.attempts),
      }),
    );
  });
  const failed = settled.find((result) => result.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.flatMap((result) => (result.status === "fulfilled" ? result.value : []));
}

/**
 * The tenant's deliveries waiting for a retry or failed (only `status` ones when given), newest
 * event first, at most `limit`, those after `after` (a delivery of the same order) when given
 * (eventually consistent: the byTenant index).
 */
export async function unfinishedDeliveries(
  tenantId: string,
  limit: number,
  status?: Exclude<DeliveryStatus, "delivered">,
  after?: { sequence: number; endpointId: string },
): Promise<DeliveryRecord[]> {
  // Newest first: what follows `after` sorts below its key (the key itself is left out below).
  const until = after === undefined ? undefined : keys.unfinishedDelivery(after.sequence, after.endpointId);
  const found: DeliveryRecord[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: "byTenant",
        KeyConditionExpression: until
          ? "gsi2pk = :pk AND gsi2sk BETWEEN :prefix AND :until"
          : "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
        ...(status
          ? { FilterExpression: "#status = :status", ExpressionAttributeNames: { "#status": "status" } }
          : {}),
        ExpressionAttributeValues: {
          ":pk": keys.byTenant(tenantId),
          ":prefix": "DELIVERY#",
          ...(until ? { ":until": until } : {}),
          ...(status ? { ":status": status } : {}),
        },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey,
      }),
    );
    found.push(...(page.Items ?? []).filter((item) => item.gsi2sk !== until).map(recordFromItem));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey && found.length < limit);
  return found.slice(0, limit);
}
