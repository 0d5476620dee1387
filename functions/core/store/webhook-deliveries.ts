/**
 * Delivery items of tenant webhooks (`DELIVERY#<event id>` / `ENDPOINT#<endpoint id>`): table
 * access and key layout only. What a delivery's next step is (claims, the retry schedule, what an
 * unrecorded attempt means, how long a finished delivery is kept) is decided in
 * functions/core/tenant-webhooks/delivery-lifecycle.ts; this module writes the state it is given,
 * under the conditions it is given, and derives the index attributes from the state:
 *  - waiting for an attempt (`pending`): gsi3 `DUE#<shard>` / `T#<tenant>#<due epoch ms>#...`
 *    (the retry sweep's index: grouped by tenant inside each shard, oldest due first per tenant),
 *  - waiting or failed: gsi2 `TENANT#<t>` / `DELIVERY#<sequence number>#<endpoint id>` (the log).
 * Items written before the due keys were grouped by tenant carry `DUE#<shard>` / `<due ms>#...`;
 * `legacyDueDeliveries` reads them until they have drained (each is rewritten when claimed).
 */
import { createHash } from "node:crypto";
import { BatchWriteCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../concurrency.ts";
import { batchGetItems, itemId } from "./batch-get.ts";
import { dynamo, tableName } from "./client.ts";
import { conditionalWrite } from "./conditional-write.ts";
import { keys } from "./keys.ts";

/** Partition keys of the due index's webhook part (spread so a burst of failures has no hot key). */
export const DUE_SHARDS = 8;

export type DeliveryStatus = "pending" | "delivered" | "failed";

/** Which event goes to which endpoint. */
export interface DeliveryRef {
  eventId: string;
  endpointId: string;
  tenantId: string;
  sequence: number;
}

/** What is stored of one attempt. */
export interface StoredAttempt {
  /** ISO time the attempt started. */
  at: string;
  /** Milliseconds it took (stored rounded). */
  durationMs: number;
  /** The endpoint's HTTP status, when it answered. */
  responseStatus?: number;
  /** Why it failed, in a few words. */
  error?: string;
  /** The first characters of the answer's body. */
  responseExcerpt?: string;
}

/**
 * A delivery's state as one step leaves it: the store writes these attributes and derives the
 * index attributes from `status` (pending: due index and log; failed: log; delivered: neither).
 */
export interface DeliveryState {
  status: DeliveryStatus;
  /** Attempts made in the current round. */
  attempts: number;
  /** Pending: epoch ms the next attempt is due. */
  nextAttemptAt?: number;
  /**
   * The last attempt; absent: what is stored of it is kept. Without `at` and `durationMs`: only
   * its outcome (status, error, excerpt) is replaced, its time and duration are kept.
   */
  lastAttempt?: StoredAttempt | Omit<StoredAttempt, "at" | "durationMs">;
  /** Delivered or failed: ISO time it ended. */
  finishedAt?: string;
  /** Delivered or failed: epoch seconds when DynamoDB deletes the item (TTL). */
  expiresAt?: number;
}

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

function dueAttributes(ref: DeliveryRef, nextAttemptAt: number) {
  return {
    nextAttemptAt,
    gsi3pk: keys.dueShard(dueShard(ref)),
    gsi3sk: keys.tenantDueAt(ref.tenantId, nextAttemptAt, ref.eventId, ref.endpointId),
  };
}

function unfinishedAttributes(ref: DeliveryRef) {
  return {
    gsi2pk: keys.byTenant(ref.tenantId),
    gsi2sk: keys.unfinishedDelivery(ref.sequence, ref.endpointId),
  };
}

const ATTEMPT_FIELDS = {
  lastAttemptAt: "at",
  lastDurationMs: "durationMs",
  lastResponseStatus: "responseStatus",
  lastError: "error",
  lastResponseExcerpt: "responseExcerpt",
} as const;

/** The attributes a state sets and removes, for UpdateItem and for a put alike. */
function attributesOf(ref: DeliveryRef, state: DeliveryState) {
  const set: Record<string, unknown> = { status: state.status, attempts: state.attempts };
  const remove = ["leaseToken"];
  if (state.lastAttempt) {
    const timed = "at" in state.lastAttempt;
    for (const [name, field] of Object.entries(ATTEMPT_FIELDS)) {
      if (!timed && (field === "at" || field === "durationMs")) continue;
      const value = (state.lastAttempt as Partial<StoredAttempt>)[field];
      if (value === undefined) remove.push(name);
      else set[name] = field === "durationMs" ? Math.round(value as number) : value;
    }
  }
  if (state.status === "pending") {
    Object.assign(set, dueAttributes(ref, state.nextAttemptAt ?? Date.now()), unfinishedAttributes(ref));
    remove.push("deliveredAt", "failedAt", "expiresAt");
  } else {
    if (state.expiresAt !== undefined) set.expiresAt = state.expiresAt;
    remove.push("nextAttemptAt", "gsi3pk", "gsi3sk");
    if (state.status === "delivered") {
      set.deliveredAt = state.finishedAt;
      remove.push("gsi2pk", "gsi2sk", "failedAt");
    } else {
      set.failedAt = state.finishedAt;
      Object.assign(set, unfinishedAttributes(ref));
    }
  }
  return { set, remove };
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

function refAttributes(ref: DeliveryRef) {
  return {
    ...keys.delivery(ref.eventId, ref.endpointId),
    type: "webhookDelivery",
    eventId: ref.eventId,
    endpointId: ref.endpointId,
    tenantId: ref.tenantId,
    sequence: ref.sequence,
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

/** The key of a delivery as `getDeliveries` maps it. */
export function deliveryId(ref: Pick<DeliveryRef, "eventId" | "endpointId">): string {
  return itemId(keys.delivery(ref.eventId, ref.endpointId));
}

/** DynamoDB's limit of writes per BatchWriteItem. */
export const WRITES_PER_CALL = 25;
const MAX_BATCH_ATTEMPTS = 8;

/**
 * Puts deliveries with their states (created at their last attempt's time), up to 25 per
 * BatchWriteItem; writes DynamoDB leaves unprocessed are sent again with backoff, and after
 * 8 tries an error is thrown. Unconditional.
 */
export async function putDeliveries(
  entries: readonly { ref: DeliveryRef; state: DeliveryState }[],
): Promise<void> {
  const TableName = tableName();
  const items = entries.map(({ ref, state }) => ({
    PutRequest: {
      Item: {
        ...refAttributes(ref),
        createdAt:
          state.lastAttempt && "at" in state.lastAttempt ? state.lastAttempt.at : new Date().toISOString(),
        ...attributesOf(ref, state).set,
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

/** The condition "still pending with `attempts` attempts, and due at `now`" (epoch ms). */
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
 * Sets `leaseToken`, `attempts` + 1 and the due time `dueIfLost` (epoch ms), only if the
 * delivery is pending with `attempts` attempts and due now. False when the condition failed.
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
 * Creates the delivery pending with one attempt, `leaseToken` and the due time `dueIfLost`
 * (epoch ms), only if it has no item. False when it has one.
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
          ...refAttributes(ref),
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

/** Whose write it is: the holder of a claim, or anyone while the delivery is pending and due. */
export type WriteCondition = { leaseToken: string; attempts: number } | { pendingAndDueWithAttempts: number };

/**
 * Writes the state, only under `condition`: the claim's token and its attempt count, or the
 * delivery still pending and due with that many attempts. False when the condition failed.
 */
export async function writeDeliveryState(
  ref: DeliveryRef,
  state: DeliveryState,
  condition: WriteCondition,
): Promise<boolean> {
  const { set, remove } = attributesOf(ref, state);
  const { UpdateExpression, names, values } = updateExpression(set, remove);
  const Key = keys.delivery(ref.eventId, ref.endpointId);
  if ("leaseToken" in condition) {
    return conditionalWrite(
      dynamo().send(
        new UpdateCommand({
          TableName: tableName(),
          Key,
          UpdateExpression,
          ConditionExpression: "leaseToken = :token AND #attempts = :attempts",
          ExpressionAttributeNames: { ...names, "#attempts": "attempts" },
          ExpressionAttributeValues: {
            ...values,
            ":token": condition.leaseToken,
            ":attempts": condition.attempts,
          },
        }),
      ),
    );
  }
  return conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key,
        UpdateExpression,
        ...pendingAndDue(condition.pendingAndDueWithAttempts, Date.now(), names, values),
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
  /** Epoch ms it is due. */
  nextAttemptAt: number;
}

function dueFromItem(item: Record<string, unknown>): DueDelivery {
  return {
    eventId: String(item.eventId),
    endpointId: String(item.endpointId),
    tenantId: String(item.tenantId),
    sequence: Number(item.sequence),
    attempts: Number(item.attempts),
    nextAttemptAt: Number(item.nextAttemptAt),
  };
}

/** One page of a due shard's tenant regions: the entries after `after` (a sort key), in key order. */
export interface DueShardPage {
  entries: DueDelivery[];
  /** The last entry's sort key, to continue after it; undefined when the shard has no more. */
  lastKey?: string;
}

/**
 * Entries of due shard `shard` whose sort key is after `after` (`tenantDueRegion` to start;
 * `tenantDueEnd(t)` skips the rest of tenant t), at most `limit`, in key order: tenant by
 * tenant, oldest due first within a tenant, due or not. One eventually consistent Query.
 */
export async function dueShardPage(shard: number, after: string, limit: number): Promise<DueShardPage> {
  const { Items = [] } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: "byDueTime",
      KeyConditionExpression: "gsi3pk = :shard AND gsi3sk > :after",
      ExpressionAttributeValues: { ":shard": keys.dueShard(shard), ":after": after },
      Limit: limit,
    }),
  );
  const last = Items.at(-1);
  return {
    entries: Items.map(dueFromItem),
    ...(Items.length === limit && last ? { lastKey: String(last.gsi3sk) } : {}),
  };
}

/**
 * Due entries written before the due keys were grouped by tenant (`<due ms>#...`): due at `now`
 * (epoch ms), oldest first, at most `limitPerShard` per shard. Empty once they have drained.
 */
export async function legacyDueDeliveries(now: number, limitPerShard: number): Promise<DueDelivery[]> {
  const shards = Array.from({ length: DUE_SHARDS }, (_, shard) => shard);
  const settled = await mapWithConcurrency(shards, DUE_SHARDS, async (shard) => {
    const { Items = [] } = await dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: "byDueTime",
        KeyConditionExpression: "gsi3pk = :shard AND gsi3sk < :until",
        ExpressionAttributeValues: {
          ":shard": keys.dueShard(shard),
          // Every legacy sort key of a time up to `now` sorts below `<now + 1>`.
          ":until": String(Math.floor(now) + 1).padStart(13, "0"),
        },
        Limit: limitPerShard,
      }),
    );
    return Items.map(dueFromItem);
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
