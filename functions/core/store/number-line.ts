/**
 * Table access for a number's line: the one item (`PHONE#<id>` / `INTENT`) through which the
 * changes made through Meta (POST, DELETE, the reconciler's reads) take turns, and which
 * remembers a change whose outcome is not recorded (docs/reliability.md, "No change lost after
 * Meta acted", "Contention"). The waiting itself (whose turn it is, how long to sleep, when a
 * turn is given up) is usernames/turns.ts; this module only reads and writes the item, each write
 * with the condition that keeps turns exclusive and in order.
 *
 * The item holds:
 *  - the line: `nextTicket` (the last ticket given out), `waiting` (ticket → epoch ms its caller
 *    waits until), `abandoned` (tickets whose callers gave up);
 *  - the lease of the caller whose turn it is: `leaseOwner`, `leaseUntil` (epoch ms its
 *    invocation surely ends), `ticket`, `operation`, `username`, `startedAt`;
 *  - `lastTicket` (the last ticket whose turn is over), `endedAt`, `lastTurnMs`;
 *  - `unresolved` (+ `unresolvedSince`, `reconcileAttempts`): Meta may have acted unrecorded;
 *  - GSI `byDueTime` keys (`gsi3pk` = `INTENT#DUE`, `gsi3sk` = due ms + number) while the
 *    reconciler must look: a held lease at its end (its holder is then surely gone), an
 *    unresolved number at once (later after failed attempts).
 *
 * Items written before the line and the lease shared one item had the line in a `QUEUE` item and
 * no `nextTicket` here: an empty line is read as `nextTicket` = `lastTicket`, so they keep working
 * (the `QUEUE` items are no longer read).
 */
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { mapWithConcurrency } from "../concurrency.ts";
import type { TurnEnd } from "../username-state/planner.ts";
import { dynamo, tableName } from "./client.ts";
import { conditionalWrite } from "./conditional-write.ts";
import { keys } from "./keys.ts";
import { type CounterWindow, metaCallCounterUpdate } from "./meta-call-counters.ts";
import { cancellationCodes } from "./transactions.ts";

/**
 * The due index is per tenant (`INTENT#DUE#<tenant>`): every POST and DELETE writes it twice (the
 * lease's end when it takes its turn, removed when the turn ends), so one partition for all
 * tenants would cap the whole service's writes through Meta at one partition's rate, and throttle
 * the table when reached. The earlier layout's single partition is still read (`dueIntents`).
 */
const duePartition = (tenantId: string) => `INTENT#DUE#${tenantId}`;
const LEGACY_DUE_PARTITION = "INTENT#DUE";

export type IntentOperation = "claim" | "delete" | "reconcile";

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]
>[number];

/** The number's line item as stored. */
export interface LineItem {
  phoneNumberId: string;
  /** Whose number it is (absent on items of the earlier layout). */
  tenantId?: string;
  /** The last ticket given out (absent on items written before the line moved here). */
  nextTicket?: number;
  /** Tickets whose callers gave up waiting (or were given up on). */
  abandoned?: Set<number>;
  /** Ticket → epoch ms its caller waits until (set by callers that have to wait). */
  waiting?: Record<string, number>;
  leaseOwner?: string;
  /** Epoch ms: the holder's invocation is surely over by then. */
  leaseUntil?: number;
  /** The holder's ticket. */
  ticket?: number;
  operation?: IntentOperation;
  username?: string;
  /** Epoch ms the holder got its turn. */
  startedAt?: number;
  /** The last ticket whose turn is over. */
  lastTicket?: number;
  /** Epoch ms the last turn ended. */
  endedAt?: number;
  /** How long the last turn was held (ms). */
  lastTurnMs?: number;
  unresolved?: boolean;
  /** Epoch ms from when the recorded state may be behind Meta's. */
  unresolvedSince?: number;
  /** Reconciler attempts that could not settle it (backoff). */
  reconcileAttempts?: number;
}

/** What the caller holding a turn knows of it. */
export interface Lease {
  phoneNumberId: string;
  /** Whose number it is: the due index's partition. */
  tenantId: string;
  owner: string;
  /** Whether an earlier change's outcome was still unknown when this turn began. */
  unresolved: boolean;
  /** Reconciler attempts that could not settle the number so far (for their backoff). */
  reconcileAttempts: number;
  /** Epoch ms the turn began. */
  claimedAt: number;
  /** The request recorded on the number with the turn (usernames/turns.ts), if any. */
  recorded?: { operation: "claim" | "delete"; username?: string; keyId: string; at: string };
  /** The turn came after waiting in line (others' turns passed): a record read before it is stale. */
  waited?: boolean;
}

export interface TurnRequest {
  phoneNumberId: string;
  /** Whose number it is: the due index's partition (and, with `checkOwner`, a condition). */
  tenantId: string;
  /** Unique per holder (the request id). */
  owner: string;
  operation: IntentOperation;
  username?: string;
  /** Epoch ms when the holder's invocation surely ends. */
  leaseUntil: number;
}

function dueKey(dueAt: number, phoneNumberId: string): string {
  return `${String(Math.max(0, Math.floor(dueAt))).padStart(15, "0")}#${phoneNumberId}`;
}

/** The lease's attributes, set when a caller takes its turn (`ticket` given by the caller's expression). */
function leaseSet(request: TurnRequest, now: number, ticket: string) {
  return {
    expression:
      "#type = :type, phoneNumberId = :id, tenantId = :tenant, leaseOwner = :owner, leaseUntil = :until, " +
      `ticket = ${ticket}, operation = :operation, startedAt = :now, gsi3pk = :due, gsi3sk = :dueKey` +
      (request.username ? ", username = :username" : ""),
    remove: request.username ? "" : " REMOVE username",
    values: {
      ":type": "intent",
      ":id": request.phoneNumberId,
      ":tenant": request.tenantId,
      ":owner": request.owner,
      ":until": request.leaseUntil,
      ":operation": request.operation,
      ":now": now,
      ":due": duePartition(request.tenantId),
      ":dueKey": dueKey(request.leaseUntil, request.phoneNumberId),
      ...(request.username ? { ":username": request.username } : {}),
    },
  };
}

/**
 * The uncontended turn in one write: the lease is taken only when the line is empty (every
 * ticket given out is over), no lease is held and no outcome is unknown, with the ticket after
 * the last one over; in the same transaction the number must be the tenant's (with `checkOwner`)
 * and the tenant's call is counted (when `counter`). So ownership, the tenant's Meta limit and
 * the turn cost one call. `owner`/`limited`: that condition failed (nothing written);
 * `contended`: the line was not empty or another write held the item (take a ticket instead).
 */
export async function claimEmptyLine(
  request: TurnRequest & {
    checkOwner?: boolean;
    counter?: CounterWindow;
    /**
     * The phone record's write that checks ownership (its condition: the number is the tenant's)
     * and records the request (state-committer.ts `requestRecordUpdate`), instead of a bare check.
     */
    ownerWrite?: NonNullable<TransactItem["Update"]>;
  },
  now = Date.now(),
): Promise<{ claimed: Lease } | "not-owner" | "limited" | "contended"> {
  const TableName = tableName();
  const lease = leaseSet(request, now, "if_not_exists(lastTicket, :zero) + :one");
  const items: TransactItem[] = [];
  if (request.ownerWrite) items.push({ Update: request.ownerWrite });
  else if (request.checkOwner) {
    items.push({
      ConditionCheck: {
        TableName,
        Key: keys.phone(request.phoneNumberId),
        ConditionExpression: "tenantId = :tenant",
        ExpressionAttributeValues: { ":tenant": request.tenantId },
      },
    });
  }
  const ownerIndex = request.checkOwner || request.ownerWrite ? 0 : -1;
  const counterIndex = request.counter
    ? items.push({ Update: metaCallCounterUpdate(request.counter) }) - 1
    : -1;
  items.push({
    Update: {
      TableName,
      Key: keys.intent(request.phoneNumberId),
      UpdateExpression: `SET ${lease.expression}, nextTicket = if_not_exists(lastTicket, :zero) + :one${lease.remove}`,
      ConditionExpression:
        "attribute_not_exists(leaseOwner) AND attribute_not_exists(unresolved) AND " +
        "(attribute_not_exists(nextTicket) OR nextTicket = lastTicket)",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: { ...lease.values, ":zero": 0, ":one": 1 },
    },
  });
  try {
    await dynamo().send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    const codes = cancellationCodes(error);
    if (!codes) throw error;
    if (codes[ownerIndex] === "ConditionalCheckFailed") return "not-owner";
    if (codes[counterIndex] === "ConditionalCheckFailed") return "limited";
    return "contended";
  }
  return {
    claimed: {
      phoneNumberId: request.phoneNumberId,
      tenantId: request.tenantId,
      owner: request.owner,
      unresolved: false,
      reconcileAttempts: 0,
      claimedAt: now,
    },
  };
}

/**
 * Joins the line: the next ticket, and the line as it is now (one write, its new image). With
 * `atLeast`, the ticket is that number when no ticket that high was given out yet (a line counted
 * from an item of the earlier layout, whose tickets lived in a `QUEUE` item), else the next one.
 */
export async function takeTicket(
  phoneNumberId: string,
  atLeast?: number,
): Promise<{ ticket: number; line: LineItem }> {
  const update = (input: { expression: string; condition?: string; values: Record<string, unknown> }) =>
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intent(phoneNumberId),
        UpdateExpression: `SET #type = :type, phoneNumberId = :id, waiting = if_not_exists(waiting, :none)${input.expression}`,
        ...(input.condition ? { ConditionExpression: input.condition } : {}),
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: { ":type": "intent", ":id": phoneNumberId, ":none": {}, ...input.values },
        ReturnValues: "ALL_NEW",
      }),
    );
  let answer: Awaited<ReturnType<typeof update>> | undefined;
  if (atLeast !== undefined) {
    answer = await update({
      expression: ", nextTicket = :least",
      condition: "attribute_not_exists(nextTicket) OR nextTicket < :least",
      values: { ":least": atLeast },
    }).catch((error: Error) => {
      if (error.name === "ConditionalCheckFailedException") return undefined;
      throw error;
    });
  }
  answer ??= await update({ expression: " ADD nextTicket :one", values: { ":one": 1 } });
  const line = answer.Attributes as LineItem;
  return { ticket: Number(line.nextTicket), line };
}

/** The line, strongly consistent; undefined when the number never had one. */
export async function readLine(phoneNumberId: string): Promise<LineItem | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(), Key: keys.intent(phoneNumberId), ConsistentRead: true }),
  );
  return Item as LineItem | undefined;
}

/**
 * Holds the lease for `ticket` if no lease is in force and the last turn over is still
 * `lastTicket` as the caller saw it (undefined: no turn ever ended). The item after the write,
 * or undefined when the condition failed.
 */
export async function claimTurn(
  request: TurnRequest,
  ticket: number,
  lastTicket: number | undefined,
  now: number,
): Promise<LineItem | undefined> {
  const lease = leaseSet(request, now, ":ticket");
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intent(request.phoneNumberId),
        UpdateExpression: `SET ${lease.expression}${lease.remove}`,
        ConditionExpression: `attribute_not_exists(leaseOwner) AND ${
          lastTicket === undefined ? "attribute_not_exists(lastTicket)" : "lastTicket = :last"
        }`,
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: {
          ...lease.values,
          ":ticket": ticket,
          ...(lastTicket === undefined ? {} : { ":last": lastTicket }),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes as LineItem;
  } catch (error) {
    if ((error as Error).name === "ConditionalCheckFailedException") return undefined;
    throw error;
  }
}

/**
 * The holder of the lease died (the lease ended): its turn is over and what its call did at Meta
 * is unknown, so the number becomes unresolved.
 */
export async function takeOverDeadLease(line: LineItem, tenantId: string, now: number): Promise<void> {
  await conditionalWrite(
    dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intent(line.phoneNumberId),
        UpdateExpression:
          "SET unresolved = :true, unresolvedSince = if_not_exists(unresolvedSince, :since), " +
          "lastTicket = :ticket, endedAt = :now, gsi3pk = :due, gsi3sk = :dueKey, tenantId = :tenant " +
          "REMOVE leaseOwner, leaseUntil, ticket, operation, username, startedAt",
        ConditionExpression: "leaseOwner = :dead",
        ExpressionAttributeValues: {
          ":true": true,
          ":since": line.leaseUntil ?? now,
          ":ticket": line.ticket ?? line.lastTicket ?? 0,
          ":now": now,
          ":due": duePartition(tenantId),
          ":dueKey": dueKey(now, line.phoneNumberId),
          ":dead": line.leaseOwner,
          ":tenant": tenantId,
        },
      }),
    ),
  );
}

/** A caller that has to wait says until when, so a turn it will never take is given up on at once. */
export async function sayWaiting(phoneNumberId: string, ticket: number, until: number): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.intent(phoneNumberId),
      UpdateExpression: "SET waiting.#ticket = :until",
      ExpressionAttributeNames: { "#ticket": String(ticket) },
      ExpressionAttributeValues: { ":until": until },
    }),
  );
}

/** Tickets leave the line (their callers gave up, or never came): their turns are skipped. Best effort. */
export async function abandonTickets(phoneNumberId: string, tickets: readonly number[]): Promise<void> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intent(phoneNumberId),
        UpdateExpression: `ADD abandoned :tickets${tickets.length ? ` REMOVE ${tickets.map((_, i) => `waiting.#t${i}`).join(", ")}` : ""}`,
        ExpressionAttributeNames: Object.fromEntries(tickets.map((t, i) => [`#t${i}`, String(t)])),
        ExpressionAttributeValues: { ":tickets": new Set(tickets) },
      }),
    );
  } catch {
    // The turns are then given up on after they stay unclaimed long enough (usernames/turns.ts).
  }
}

/** Forgets `waiting` entries and `abandoned` tickets that lie behind a held turn. Best effort. */
export async function forgetTickets(
  phoneNumberId: string,
  waiting: readonly string[],
  abandoned: readonly number[],
): Promise<void> {
  if (waiting.length === 0 && abandoned.length === 0) return;
  const names = Object.fromEntries(waiting.map((t, i) => [`#w${i}`, t]));
  await dynamo()
    .send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intent(phoneNumberId),
        UpdateExpression: [
          waiting.length ? `REMOVE ${waiting.map((_, i) => `waiting.#w${i}`).join(", ")}` : "",
          abandoned.length ? "DELETE abandoned :passed" : "",
        ].join(" "),
        ...(waiting.length ? { ExpressionAttributeNames: names } : {}),
        ...(abandoned.length ? { ExpressionAttributeValues: { ":passed": new Set(abandoned) } } : {}),
      }),
    )
    .catch(() => undefined);
}

/**
 * The update of the line item that ends a lease (and so begins the next ticket's turn), as a
 * transaction item (the state write ends its turn in the same transaction) or on its own
 * (`endTurn`). `retryAt` delays the reconciler's next look at an unresolved number.
 */
export function endTurnUpdate(lease: Lease, end: TurnEnd, now = Date.now(), retryAt?: number) {
  const unresolved = end === "unresolved" || (end === "unchanged" && lease.unresolved);
  const values: Record<string, unknown> = {
    ":owner": lease.owner,
    ":now": now,
    ":turn": Math.max(1, now - lease.claimedAt),
  };
  // `ticket` is the holder's own: the turn over is the one it held.
  const turnOver = "lastTicket = ticket, endedAt = :now, lastTurnMs = :turn";
  const clearLease = "leaseOwner, leaseUntil, ticket, operation, username, startedAt";
  let update = `SET ${turnOver} REMOVE ${clearLease}, unresolved, unresolvedSince, reconcileAttempts, gsi3pk, gsi3sk`;
  if (unresolved) {
    update =
      `SET ${turnOver}, unresolved = :true, unresolvedSince = if_not_exists(unresolvedSince, :now), ` +
      "gsi3pk = :due, gsi3sk = :dueKey" +
      (retryAt !== undefined ? ", reconcileAttempts = if_not_exists(reconcileAttempts, :zero) + :one" : "") +
      ` REMOVE ${clearLease}`;
    Object.assign(values, {
      ":true": true,
      ":due": duePartition(lease.tenantId),
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

/** Ends a turn outside a state write; false when the lease was no longer ours (it ended and was taken over). */
export async function endTurn(lease: Lease, end: TurnEnd, retryAt?: number): Promise<boolean> {
  return conditionalWrite(dynamo().send(new UpdateCommand(endTurnUpdate(lease, end, Date.now(), retryAt))));
}

/** The check that no caller holds the number's lease (a GET's answer records only then). */
export function noLeaseCheck(phoneNumberId: string, now = Date.now()) {
  return {
    TableName: tableName(),
    Key: keys.intent(phoneNumberId),
    ConditionExpression: "attribute_not_exists(leaseOwner) OR leaseUntil < :now",
    ExpressionAttributeValues: { ":now": now },
  };
}

/**
 * The number's record may be behind Meta (a webhook and an answer of the same moment disagree):
 * the reconciler looks at once. A lease in force keeps it; ending it as `resolved` (a newer,
 * complete answer) settles the question too.
 */
export function markUnresolvedUpdate(phoneNumberId: string, tenantId: string, now = Date.now()) {
  return {
    TableName: tableName(),
    Key: keys.intent(phoneNumberId),
    UpdateExpression:
      "SET #type = :type, phoneNumberId = :id, tenantId = :tenant, unresolved = :true, " +
      "unresolvedSince = if_not_exists(unresolvedSince, :now), gsi3pk = :due, gsi3sk = :dueKey",
    ExpressionAttributeNames: { "#type": "type" },
    ExpressionAttributeValues: {
      ":type": "intent",
      ":id": phoneNumberId,
      ":tenant": tenantId,
      ":true": true,
      ":now": now,
      ":due": duePartition(tenantId),
      ":dueKey": dueKey(now, phoneNumberId),
    },
  };
}

/** A number the reconciler must look at, with its tenant (absent for the earlier layout's entries). */
export interface DueNumber {
  phoneNumberId: string;
  tenantId?: string;
  /** Epoch ms it became due. */
  dueAt: number;
}

/** Tenants' due partitions queried at once by the reconciler. */
const DUE_QUERY_CONCURRENCY = 8;

/**
 * The numbers the reconciler must look at now (unresolved ones and ended leases), oldest first,
 * at most `limit`: one Query per tenant's due partition (a few in parallel), and one of the
 * earlier layout's single partition, which only drains.
 */
export async function dueIntents(
  now: number,
  limit: number,
  tenantIds: readonly string[],
): Promise<DueNumber[]> {
  const partitions = [LEGACY_DUE_PARTITION, ...tenantIds.map(duePartition)];
  const answers = await mapWithConcurrency(partitions, DUE_QUERY_CONCURRENCY, (partition) =>
    dynamo().send(
      new QueryCommand({
        TableName: tableName(),
        IndexName: "byDueTime",
        KeyConditionExpression: "gsi3pk = :due AND gsi3sk < :now",
        ExpressionAttributeValues: { ":due": partition, ":now": dueKey(now + 1, "") },
        Limit: limit,
      }),
    ),
  );
  const due: DueNumber[] = [];
  for (const answer of answers) {
    if (answer.status === "rejected") throw answer.reason;
    for (const item of answer.value.Items ?? []) {
      due.push({
        phoneNumberId: String(item.pk).slice("PHONE#".length),
        ...(item.tenantId !== undefined ? { tenantId: String(item.tenantId) } : {}),
        dueAt: Number(String(item.gsi3sk).split("#")[0]),
      });
    }
  }
  return due.sort((a, b) => a.dueAt - b.dueAt).slice(0, limit);
}

/** The number's line item, for the reconciler, the CLI and tests. */
export async function getIntent(phoneNumberId: string): Promise<LineItem | undefined> {
  return readLine(phoneNumberId);
}

/**
 * The number must be the tenant's (when `tenantId`) and the tenant's call is counted (when
 * `counter`), in one transaction: what a caller that found the line busy still owes before it
 * joins it. No call when there is nothing to check.
 */
export async function checkOwnerAndCount(
  phoneNumberId: string,
  tenantId: string | undefined,
  counter: CounterWindow | undefined,
): Promise<"ok" | "not-owner" | "limited"> {
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]> = [];
  if (tenantId !== undefined) {
    items.push({
      ConditionCheck: {
        TableName: tableName(),
        Key: keys.phone(phoneNumberId),
        ConditionExpression: "tenantId = :tenant",
        ExpressionAttributeValues: { ":tenant": tenantId },
      },
    });
  }
  if (counter) items.push({ Update: metaCallCounterUpdate(counter) });
  if (items.length === 0) return "ok";
  try {
    await dynamo().send(new TransactWriteCommand({ TransactItems: items }));
    return "ok";
  } catch (error) {
    const codes = cancellationCodes(error);
    if (!codes?.includes("ConditionalCheckFailed")) throw error;
    return tenantId !== undefined && codes[0] === "ConditionalCheckFailed" ? "not-owner" : "limited";
  }
}
