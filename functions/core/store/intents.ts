/**
 * Intents: per phone number, the changes made through Meta (POST, DELETE, and the reconciler's
 * reads) go one at a time, in arrival order, and any whose outcome is not recorded is remembered
 * (docs/reliability.md, "No change lost after Meta acted"). Two items per number:
 *
 *  - the line (`PHONE#<id>` / `QUEUE`), a ticket lock: a caller takes a ticket (`ADD nextTicket
 *    1`) and waits until `serving` reaches it, sleeping in proportion to its place in the line and
 *    the last turn's length, so a long line costs few reads. Only plain updates touch it, so the
 *    callers joining the line never conflict with a state transaction.
 *  - the intent (`PHONE#<id>` / `INTENT`): the lease of the caller whose turn it is (`leaseOwner`,
 *    `leaseUntil` = the end of its invocation, the operation and since when). Claiming it is
 *    conditional on no live lease, which is what makes turns exclusive. The state write ends it in
 *    its own transaction (`endLeaseUpdate`), so "recorded" and "intent completed" are one fact;
 *    a refusal by Meta ends it alone (`releaseLease`). Then `serving` moves on.
 *
 * `unresolved` on the intent: Meta may have acted but what it did is not recorded (the invocation
 * died holding the lease, the state write failed, Meta's answer was lost, or the answer disagrees
 * with a webhook of the same moment). GSI `byDueTime` (`gsi1pk` = `DUE`, `gsi1sk` = due time +
 * number) lists what the reconciler must look at: a held lease when it ends (its holder is then
 * surely gone), an unresolved number at once (later after failed attempts).
 *
 * A caller that gives up waiting (or fails) says so (`abandoned`): its turn is skipped at once. A
 * turn nobody claims is skipped after ABANDONED_TURN_MS (its caller died waiting). A lease whose
 * holder died is taken over when it ends; the number is then unresolved.
 */
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

/**
 * A turn nobody claimed for this long is skipped (its waiter died while waiting without saying
 * so). Far above a waiter's longest sleep, so a live waiter is never skipped.
 */
export const ABANDONED_TURN_MS = 5_000;
/** A waiter sleeps at most this long between looks; the next in line, a fraction of a turn. */
const MAX_SLEEP_MS = 500;
/** How long a turn lasts when the number has no measured one yet (a Meta call and a write). */
const DEFAULT_TURN_MS = 100;
const DUE_PARTITION = "DUE";

export type IntentOperation = "claim" | "delete" | "reconcile";

/** The line of callers waiting for their turn on a number. */
interface QueueItem {
  nextTicket: number;
  serving: number;
  /** Epoch ms when `serving` last moved. */
  servingSince: number;
  /** Tickets whose callers gave up waiting. */
  abandoned?: Set<number>;
  /** How long the last turn was held (ms). */
  lastTurnMs?: number;
}

/** The number's intent: the lease in force, if any, and whether an outcome is unknown. */
export interface IntentItem {
  phoneNumberId: string;
  leaseOwner?: string;
  /** Epoch ms: the holder's invocation is surely over by then. */
  leaseUntil?: number;
  /** The holder's ticket in the line. */
  ticket?: number;
  operation?: IntentOperation;
  username?: string;
  /** Epoch ms the holder got its turn. */
  startedAt?: number;
  unresolved?: boolean;
  /** Epoch ms from when the recorded state may be behind Meta's. */
  unresolvedSince?: number;
  /** Reconciler attempts that could not settle it (backoff). */
  reconcileAttempts?: number;
}

export interface Lease {
  phoneNumberId: string;
  owner: string;
  ticket: number;
  /** Whether an earlier change's outcome was still unknown when this lease began. */
  unresolved: boolean;
  /** Reconciler attempts that could not settle the number so far (for their backoff). */
  reconcileAttempts: number;
  /** Epoch ms the turn began. */
  claimedAt: number;
}

export interface LeaseRequest {
  phoneNumberId: string;
  /** Unique per holder (the request id). */
  owner: string;
  operation: IntentOperation;
  username?: string;
  /** Epoch ms when the holder's invocation surely ends. */
  leaseUntil: number;
  /** Epoch ms after which waiting gives up. */
  waitUntil: number;
}

function dueKey(dueAt: number, phoneNumberId: string): string {
  return `${String(Math.max(0, Math.floor(dueAt))).padStart(15, "0")}#${phoneNumberId}`;
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error).name === "ConditionalCheckFailedException";
}

/** An update that is expected to lose races: false when its condition failed. */
async function conditionalUpdate(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName">) {
  try {
    await dynamo().send(new UpdateCommand({ TableName: tableName(), ...input }));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function takeTicket(phoneNumberId: string, now: number): Promise<QueueItem> {
  const { Attributes } = await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.intentQueue(phoneNumberId),
      UpdateExpression:
        "SET #type = :type, serving = if_not_exists(serving, :one), " +
        "servingSince = if_not_exists(servingSince, :now) ADD nextTicket :one",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: { ":type": "intentQueue", ":one": 1, ":now": now },
      ReturnValues: "ALL_NEW",
    }),
  );
  return Attributes as QueueItem;
}

/** The line and the intent, in one strongly consistent read. */
async function readLine(phoneNumberId: string): Promise<{ queue?: QueueItem; intent?: IntentItem }> {
  const queueKey = keys.intentQueue(phoneNumberId);
  const intentKey = keys.intent(phoneNumberId);
  const { Responses } = await dynamo().send(
    new BatchGetCommand({
      RequestItems: { [tableName()]: { Keys: [queueKey, intentKey], ConsistentRead: true } },
    }),
  );
  const items = Responses?.[tableName()] ?? [];
  return {
    queue: items.find((item) => item.sk === queueKey.sk) as QueueItem | undefined,
    intent: items.find((item) => item.sk === intentKey.sk) as IntentItem | undefined,
  };
}

/** Holds the lease for `ticket`, if no live lease is in force. */
async function claimTurn(
  request: LeaseRequest,
  ticket: number,
  now: number,
): Promise<IntentItem | undefined> {
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intent(request.phoneNumberId),
        UpdateExpression:
          "SET #type = :type, phoneNumberId = :id, leaseOwner = :owner, leaseUntil = :until, " +
          "ticket = :ticket, operation = :operation, startedAt = :now, gsi1pk = :due, gsi1sk = :dueKey" +
          (request.username ? ", username = :username" : " REMOVE username"),
        ConditionExpression: "attribute_not_exists(leaseOwner)",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: {
          ":type": "intent",
          ":id": request.phoneNumberId,
          ":owner": request.owner,
          ":until": request.leaseUntil,
          ":ticket": ticket,
          ":operation": request.operation,
          ":now": now,
          ":due": DUE_PARTITION,
          ":dueKey": dueKey(request.leaseUntil, request.phoneNumberId),
          ...(request.username ? { ":username": request.username } : {}),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes as IntentItem;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Serves the ticket after `ticket` (best effort: a stuck line skips the turn after ABANDONED_TURN_MS). */
async function serveNext(phoneNumberId: string, ticket: number, now: number, turnMs?: number): Promise<void> {
  await conditionalUpdate({
    Key: keys.intentQueue(phoneNumberId),
    UpdateExpression:
      `SET serving = :next, servingSince = :now${turnMs !== undefined ? ", lastTurnMs = :turn" : ""} ` +
      "DELETE abandoned :served",
    ConditionExpression: "serving = :ticket",
    ExpressionAttributeValues: {
      ":next": ticket + 1,
      ":now": now,
      ":ticket": ticket,
      ":served": new Set([ticket]),
      ...(turnMs !== undefined ? { ":turn": Math.max(1, turnMs) } : {}),
    },
  });
}

/**
 * The holder of the lease died (the lease ended): what its call did at Meta is unknown, so the
 * number becomes unresolved; the line moves on.
 */
async function takeOverDeadLease(intent: IntentItem, now: number): Promise<void> {
  const taken = await conditionalUpdate({
    Key: keys.intent(intent.phoneNumberId),
    UpdateExpression:
      "SET unresolved = :true, unresolvedSince = if_not_exists(unresolvedSince, :since), " +
      "gsi1pk = :due, gsi1sk = :dueKey REMOVE leaseOwner, leaseUntil, ticket, operation, username, startedAt",
    ConditionExpression: "leaseOwner = :dead",
    ExpressionAttributeValues: {
      ":true": true,
      ":since": intent.leaseUntil ?? now,
      ":due": DUE_PARTITION,
      ":dueKey": dueKey(now, intent.phoneNumberId),
      ":dead": intent.leaseOwner,
    },
  });
  if (taken && intent.ticket !== undefined) await serveNext(intent.phoneNumberId, intent.ticket, now);
}

/** This caller leaves the line: its turn is skipped as soon as it comes. Best effort. */
async function abandonTicket(phoneNumberId: string, ticket: number): Promise<void> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intentQueue(phoneNumberId),
        UpdateExpression: "ADD abandoned :ticket",
        ExpressionAttributeValues: { ":ticket": new Set([ticket]) },
      }),
    );
  } catch {
    // The turn is then skipped after ABANDONED_TURN_MS.
  }
}

/**
 * Waits for this caller's turn on the number and holds its lease; undefined when `waitUntil`
 * passed first (the caller must not call Meta then). Throws only storage errors.
 */
export async function acquireLease(request: LeaseRequest): Promise<Lease | undefined> {
  const { phoneNumberId } = request;
  let queue = await takeTicket(phoneNumberId, Date.now());
  let ticket = queue.nextTicket;
  let intent: IntentItem | undefined;
  let intentRead = false;
  try {
    for (;;) {
      const now = Date.now();
      // Until the intent has been read, a claim is tried optimistically (its condition decides).
      const leased = intentRead && intent?.leaseOwner !== undefined;
      const live = leased && (intent?.leaseUntil ?? 0) >= now;
      if (queue.serving > ticket) {
        // Our turn was skipped while we slept (we looked abandoned): join the line again.
        queue = await takeTicket(phoneNumberId, now);
        ticket = queue.nextTicket;
        continue;
      }
      if (leased && !live) {
        await takeOverDeadLease(intent as IntentItem, now);
      } else if (queue.serving === ticket && !live) {
        const claimed = await claimTurn(request, ticket, now);
        if (claimed) {
          return {
            phoneNumberId,
            owner: request.owner,
            ticket,
            unresolved: claimed.unresolved === true,
            reconcileAttempts: claimed.reconcileAttempts ?? 0,
            claimedAt: now,
          };
        }
      } else if (
        intentRead &&
        !leased &&
        (queue.abandoned?.has(queue.serving) === true || now - queue.servingSince > ABANDONED_TURN_MS)
      ) {
        // The turn is a ticket that left, or one nobody came for; a lease in force is never skipped.
        await serveNext(phoneNumberId, queue.serving, now);
      } else {
        if (now >= request.waitUntil) {
          await abandonTicket(phoneNumberId, ticket);
          return undefined;
        }
        const sleepMs = waitHint(ticket - queue.serving, queue.lastTurnMs ?? DEFAULT_TURN_MS);
        await sleep(Math.min(sleepMs, Math.max(1, request.waitUntil - now)));
      }
      const line = await readLine(phoneNumberId);
      if (!line.queue) throw new Error(`the line of ${phoneNumberId} vanished`);
      queue = line.queue;
      intent = line.intent;
      intentRead = true;
    }
  } catch (error) {
    await abandonTicket(phoneNumberId, ticket);
    throw error;
  }
}

/**
 * Sleep before looking again: most of the turns ahead (the next in line: a quarter of a turn),
 * with jitter, 5 to MAX_SLEEP_MS, so a long line costs few reads.
 */
function waitHint(ahead: number, turnMs: number): number {
  const turns = ahead <= 1 ? 0.25 : (ahead - 1) * 0.8;
  const base = Math.min(MAX_SLEEP_MS, Math.max(5, turns * turnMs));
  return base * (0.75 + Math.random() * 0.5);
}

/**
 * How a lease ends:
 *  - `resolved`: the state now recorded is Meta's (an applied or confirmed answer);
 *  - `unchanged`: nothing learnt (Meta refused): an earlier unknown outcome stays unknown;
 *  - `unresolved`: Meta may have acted and the record may be behind: the reconciler must look.
 */
export type LeaseEnd = "resolved" | "unchanged" | "unresolved";

/**
 * The update of the intent that ends a lease, as a transaction item (the state write completes
 * its intent in the same transaction) or on its own (`releaseLease`); then `leaseEnded` serves
 * the next ticket. `retryAt` delays the reconciler's next look at an unresolved number.
 */
export function endLeaseUpdate(lease: Lease, end: LeaseEnd, now = Date.now(), retryAt?: number) {
  const unresolved = end === "unresolved" || (end === "unchanged" && lease.unresolved);
  const values: Record<string, unknown> = { ":owner": lease.owner };
  const clearLease = "leaseOwner, leaseUntil, ticket, operation, username, startedAt";
  let update = `REMOVE ${clearLease}, unresolved, unresolvedSince, reconcileAttempts, gsi1pk, gsi1sk`;
  if (unresolved) {
    update =
      "SET unresolved = :true, unresolvedSince = if_not_exists(unresolvedSince, :now), " +
      "gsi1pk = :due, gsi1sk = :dueKey" +
      (retryAt !== undefined ? ", reconcileAttempts = if_not_exists(reconcileAttempts, :zero) + :one" : "") +
      ` REMOVE ${clearLease}`;
    Object.assign(values, {
      ":true": true,
      ":now": now,
      ":due": DUE_PARTITION,
      ":dueKey": dueKey(retryAt ?? now, lease.phoneNumberId),
      ...(retryAt !== undefined ? { ":zero": 0, ":one": 1 } : {}),
    });
  }
  return {
    TableName: tableName(),
    Key: keys.intent(lease.phoneNumberId),
    UpdateExpression: update,
    ConditionExpression: "leaseOwner = :owner",
    ExpressionAttributeValues: values,
  };
}

/** After a lease ended (in a state transaction or by releaseLease): the next ticket's turn. */
export async function leaseEnded(lease: Lease): Promise<void> {
  const now = Date.now();
  await serveNext(lease.phoneNumberId, lease.ticket, now, now - lease.claimedAt);
}

/** Ends a lease outside a state write; false when it was no longer ours (it ended and was taken over). */
export async function releaseLease(lease: Lease, end: LeaseEnd, retryAt?: number): Promise<boolean> {
  const { TableName: _, ...input } = endLeaseUpdate(lease, end, Date.now(), retryAt);
  const ended = await conditionalUpdate(input);
  if (ended) await leaseEnded(lease);
  return ended;
}

/** The numbers the reconciler must look at now: unresolved ones and ended leases, oldest first. */
export async function dueIntents(now: number, limit: number): Promise<string[]> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: "byDueTime",
      KeyConditionExpression: "gsi1pk = :due AND gsi1sk < :now",
      ExpressionAttributeValues: { ":due": DUE_PARTITION, ":now": dueKey(now + 1, "") },
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => String(item.pk).slice("PHONE#".length));
}

/** The number's intent item, for the reconciler, the CLI and tests. */
export async function getIntent(phoneNumberId: string): Promise<IntentItem | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.intent(phoneNumberId), ConsistentRead: true }),
  );
  return Item as IntentItem | undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
