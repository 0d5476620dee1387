/**
 * Intents: per phone number, the changes made through Meta (POST, DELETE, and the reconciler's
 * reads) go one at a time, in arrival order, and any whose outcome is not recorded is remembered
 * (docs/reliability.md, "No change lost after Meta acted"). Two items per number:
 *
 *  - the line (`PHONE#<id>` / `QUEUE`): a caller takes a ticket (`ADD nextTicket 1`); a caller
 *    that must wait says until when (`waiting.<ticket>` = its wait's end); a caller that gives up
 *    (or fails) puts its ticket in `abandoned`. Only plain updates touch it, so callers joining
 *    the line never conflict with a state transaction.
 *  - the intent (`PHONE#<id>` / `INTENT`): the lease of the caller whose turn it is (`leaseOwner`,
 *    `leaseUntil` = the end of its invocation, the operation and since when), and `lastTicket`,
 *    the last ticket whose turn is over. Claiming the lease is conditional on no lease and on the
 *    `lastTicket` the caller saw, which makes turns exclusive and in order. The state write ends
 *    the lease in its own transaction (`endLeaseUpdate`), so "recorded" and "intent completed"
 *    are one fact; a refusal by Meta ends it alone (`releaseLease`).
 * The turn is the first ticket after `lastTicket` that is not abandoned. Waiters sleep in
 * proportion to their place in the line and the last turn's length, so a long line costs few
 * reads; an uncontended change costs two small updates (ticket, lease) besides its state write.
 *
 * `unresolved` on the intent: Meta may have acted but what it did is not recorded (the invocation
 * died holding the lease, the state write failed, Meta's answer was lost, or the answer disagrees
 * with a webhook of the same moment). GSI `byDueTime` (`gsi3pk` = `INTENT#DUE`, `gsi3sk` = due time +
 * number) lists what the reconciler must look at: a held lease when it ends (its holder is then
 * surely gone), an unresolved number at once (later after failed attempts).
 *
 * A turn whose caller's wait has ended (it died waiting, e.g. the process was killed) is given up
 * on at once; a turn whose caller never said how long it waits, once a waiter has seen it unclaimed
 * for ABANDONED_TURN_MS. A lease whose holder died is taken over when it ends; the number is then unresolved.
 */
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { dynamo, tableName } from "./client.ts";
import { keys } from "./keys.ts";

/**
 * A turn nobody claimed for this long is given up on (its waiter died while waiting without
 * saying so). Far above a waiter's longest sleep, so a live waiter is never given up on.
 */
export const ABANDONED_TURN_MS = 5_000;
/** A waiter sleeps at most this long between looks; the next in line, at most NEXT_IN_LINE_MAX_SLEEP_MS. */
const MAX_SLEEP_MS = 500;
const NEXT_IN_LINE_MAX_SLEEP_MS = 25;
/** How long a turn lasts when the number has no measured one yet (a Meta call and a write). */
const DEFAULT_TURN_MS = 100;
const DUE_PARTITION = "INTENT#DUE";

export type IntentOperation = "claim" | "delete" | "reconcile";

/** The line of callers waiting for their turn on a number. */
interface QueueItem {
  /** The last ticket given out. */
  nextTicket: number;
  /** Tickets whose callers gave up waiting (or were given up on). */
  abandoned?: Set<number>;
  /** Ticket → epoch ms its caller waits until (set by callers that have to wait). */
  waiting?: Record<string, number>;
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

async function takeTicket(phoneNumberId: string): Promise<number> {
  const { Attributes } = await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.intentQueue(phoneNumberId),
      UpdateExpression: "SET #type = :type, waiting = if_not_exists(waiting, :none) ADD nextTicket :one",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: { ":type": "intentQueue", ":one": 1, ":none": {} },
      ReturnValues: "UPDATED_NEW",
    }),
  );
  return Number(Attributes?.nextTicket);
}

/** The line and the intent, in one strongly consistent read. */
async function readLine(phoneNumberId: string): Promise<{ queue: QueueItem; intent?: IntentItem }> {
  const queueKey = keys.intentQueue(phoneNumberId);
  const intentKey = keys.intent(phoneNumberId);
  const { Responses } = await dynamo().send(
    new BatchGetCommand({
      RequestItems: { [tableName()]: { Keys: [queueKey, intentKey], ConsistentRead: true } },
    }),
  );
  const items = Responses?.[tableName()] ?? [];
  const queue = items.find((item) => item.sk === queueKey.sk) as QueueItem | undefined;
  if (!queue) throw new Error(`the line of ${phoneNumberId} vanished`);
  return { queue, intent: items.find((item) => item.sk === intentKey.sk) as IntentItem | undefined };
}

/**
 * Holds the lease for `ticket` if no lease is in force and the last turn over is still
 * `lastTicket` as the caller saw it (undefined: no turn ever ended).
 */
async function claimTurn(
  request: LeaseRequest,
  ticket: number,
  lastTicket: number | undefined,
  now: number,
): Promise<IntentItem | undefined> {
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intent(request.phoneNumberId),
        UpdateExpression:
          "SET #type = :type, phoneNumberId = :id, leaseOwner = :owner, leaseUntil = :until, " +
          "ticket = :ticket, operation = :operation, startedAt = :now, gsi3pk = :due, gsi3sk = :dueKey" +
          (request.username ? ", username = :username" : " REMOVE username"),
        ConditionExpression: `attribute_not_exists(leaseOwner) AND ${
          lastTicket === undefined ? "attribute_not_exists(lastTicket)" : "lastTicket = :last"
        }`,
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
          ...(lastTicket === undefined ? {} : { ":last": lastTicket }),
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

/**
 * The holder of the lease died (the lease ended): its turn is over and what its call did at Meta
 * is unknown, so the number becomes unresolved.
 */
async function takeOverDeadLease(intent: IntentItem, now: number): Promise<void> {
  await conditionalUpdate({
    Key: keys.intent(intent.phoneNumberId),
    UpdateExpression:
      "SET unresolved = :true, unresolvedSince = if_not_exists(unresolvedSince, :since), " +
      "lastTicket = :ticket, endedAt = :now, gsi3pk = :due, gsi3sk = :dueKey " +
      "REMOVE leaseOwner, leaseUntil, ticket, operation, username, startedAt",
    ConditionExpression: "leaseOwner = :dead",
    ExpressionAttributeValues: {
      ":true": true,
      ":since": intent.leaseUntil ?? now,
      ":ticket": intent.ticket ?? intent.lastTicket ?? 0,
      ":now": now,
      ":due": DUE_PARTITION,
      ":dueKey": dueKey(now, intent.phoneNumberId),
      ":dead": intent.leaseOwner,
    },
  });
}

/** A caller that has to wait says until when, so a turn it will never take is given up on at once. */
async function sayWaiting(phoneNumberId: string, ticket: number, until: number): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.intentQueue(phoneNumberId),
      UpdateExpression: "SET waiting.#ticket = :until",
      ExpressionAttributeNames: { "#ticket": String(ticket) },
      ExpressionAttributeValues: { ":until": until },
    }),
  );
}

/** Tickets leave the line (their callers gave up, or never came): their turns are skipped. Best effort. */
async function abandonTickets(phoneNumberId: string, tickets: readonly number[]): Promise<void> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intentQueue(phoneNumberId),
        UpdateExpression: `ADD abandoned :tickets${tickets.length ? ` REMOVE ${tickets.map((_, i) => `waiting.#t${i}`).join(", ")}` : ""}`,
        ExpressionAttributeNames: Object.fromEntries(tickets.map((t, i) => [`#t${i}`, String(t)])),
        ExpressionAttributeValues: { ":tickets": new Set(tickets) },
      }),
    );
  } catch {
    // The turns are then given up on after ABANDONED_TURN_MS.
  }
}

function abandonTicket(phoneNumberId: string, ticket: number): Promise<void> {
  return abandonTickets(phoneNumberId, [ticket]);
}

/**
 * The tickets from `turn` up to (not including) `ticket` whose callers' waits have ended: they
 * will never take their turn. Stops at the first one that may still come.
 */
function deadTurns(queue: QueueItem, turn: number, ticket: number, now: number): number[] {
  const dead: number[] = [];
  for (let t = turn; t < ticket; t++) {
    if (queue.abandoned?.has(t)) continue;
    const until = queue.waiting?.[String(t)];
    if (until === undefined || until >= now) break;
    dead.push(t);
  }
  return dead;
}

/**
 * Once `ticket` holds the lease, the tickets before it are never looked at again: while it holds
 * the lease, waiters judge their place from its ticket, and after it `lastTicket` is at least
 * `ticket` (it only grows). Their `abandoned` and `waiting` entries go (and this ticket's
 * `waiting`), as seen in the caller's last read, so the line's item stays small on a number used
 * for years. Best effort: an entry left behind is never read.
 */
async function forgetPassedTurns(phoneNumberId: string, ticket: number, queue: QueueItem | undefined) {
  const abandoned = [...(queue?.abandoned ?? [])].filter((t) => t < ticket);
  // `waiting` entries are only written by callers that wait; forgetting them costs a write, so it
  // is done in batches (or with abandoned tickets, which are rare), not by every caller.
  const seen = Object.keys(queue?.waiting ?? {}).length;
  if (abandoned.length === 0 && seen < FORGET_BATCH) return;
  const waiting = [
    ...new Set([String(ticket), ...Object.keys(queue?.waiting ?? {}).filter((t) => Number(t) < ticket)]),
  ];
  const names = Object.fromEntries(waiting.map((t, i) => [`#w${i}`, t]));
  await dynamo()
    .send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.intentQueue(phoneNumberId),
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

/** How many `waiting` entries the line's item keeps at most before a caller forgets the passed ones. */
const FORGET_BATCH = 16;

/** Whose turn it is: the first ticket after the last one over that was not abandoned. */
function turnOf(queue: QueueItem, intent: IntentItem | undefined): number {
  let turn = (intent?.lastTicket ?? 0) + 1;
  while (queue.abandoned?.has(turn)) turn++;
  return turn;
}

/**
 * Waits for this caller's turn on the number and holds its lease; undefined when `waitUntil`
 * passed first (the caller must not call Meta then). Throws only storage errors.
 */
export async function acquireLease(request: LeaseRequest): Promise<Lease | undefined> {
  const { phoneNumberId } = request;
  let ticket = await takeTicket(phoneNumberId);
  const lease = (claimed: IntentItem, claimedAt: number): Lease => ({
    phoneNumberId,
    owner: request.owner,
    ticket,
    unresolved: claimed.unresolved === true,
    reconcileAttempts: claimed.reconcileAttempts ?? 0,
    claimedAt,
  });
  try {
    // Uncontended: the turn before ours is over (or ours is the first ever).
    const first = Date.now();
    const optimistic = await claimTurn(request, ticket, ticket > 1 ? ticket - 1 : undefined, first);
    if (optimistic) return lease(optimistic, first);
    await sayWaiting(phoneNumberId, ticket, request.waitUntil);
    let lastSeen: QueueItem | undefined;
    const claimedAfterWaiting = (item: IntentItem, at: number) => {
      void forgetPassedTurns(phoneNumberId, ticket, lastSeen);
      return lease(item, at);
    };
    // A turn before ours that we have seen unclaimed since `unclaimedSince`.
    let unclaimed: number | undefined;
    let unclaimedSince = 0;
    for (;;) {
      const { queue, intent } = await readLine(phoneNumberId);
      const now = Date.now();
      lastSeen = queue;
      // While a lease is held, the turn is its holder's (the tickets before it may be forgotten).
      const held = intent?.leaseOwner !== undefined && intent.ticket !== undefined;
      const turn = held ? (intent.ticket as number) : turnOf(queue, intent);
      const free = intent?.leaseOwner === undefined;
      if (!free || turn !== unclaimed) {
        unclaimed = free && turn < ticket ? turn : undefined;
        unclaimedSince = now;
      }
      if (intent?.leaseOwner !== undefined) {
        if ((intent.leaseUntil ?? 0) < now) {
          await takeOverDeadLease(intent, now);
          continue;
        }
        if (
          intent.ticket !== undefined &&
          turnOf(queue, { ...intent, lastTicket: intent.ticket }) === ticket
        ) {
          // Next in line: claim as soon as the holder's turn is over, without reading in between.
          const claimed = await claimWhenOver(request, ticket, intent);
          if (claimed) return claimedAfterWaiting(claimed.item, claimed.at);
          continue;
        }
      } else if (turn > ticket) {
        // Our turn was given up on while we slept: join the line again.
        ticket = await takeTicket(phoneNumberId);
        await sayWaiting(phoneNumberId, ticket, request.waitUntil);
        continue;
      } else if (turn === ticket) {
        const claimed = await claimTurn(request, ticket, intent?.lastTicket, now);
        if (claimed) return claimedAfterWaiting(claimed, now);
        continue;
      } else if (deadTurns(queue, turn, ticket, now).length > 0) {
        // Callers before us whose waits are over (they died waiting): their turns go at once.
        await abandonTickets(phoneNumberId, deadTurns(queue, turn, ticket, now));
        continue;
      } else if (now - unclaimedSince > ABANDONED_TURN_MS) {
        // Nobody came for a turn before ours all this time: its caller died waiting.
        await abandonTicket(phoneNumberId, turn);
        continue;
      }
      if (now >= request.waitUntil) {
        await abandonTicket(phoneNumberId, ticket);
        return undefined;
      }
      const sleepMs = waitHint(ticket - turn, intent?.lastTurnMs ?? DEFAULT_TURN_MS);
      await sleep(Math.min(sleepMs, Math.max(1, request.waitUntil - now)));
    }
  } catch (error) {
    await abandonTicket(phoneNumberId, ticket);
    throw error;
  }
}

/**
 * The caller right after the lease holder claims as soon as the holder's turn is over, without
 * reading in between (a failed conditional update costs what a read does, and a success needs no
 * read first): back to back while the turn is within twice the last one's length, then less often
 * (a tenth of the time held so far, up to 100 ms). Gives up when the holder's lease runs out (then it is taken over) or the caller's
 * wait ends. Nobody else can claim after the holder: the tickets between were given up.
 */
async function claimWhenOver(
  request: LeaseRequest,
  ticket: number,
  holder: IntentItem,
): Promise<{ item: IntentItem; at: number } | undefined> {
  const until = Math.min(holder.leaseUntil ?? 0, request.waitUntil);
  const since = holder.startedAt ?? Date.now();
  for (;;) {
    const now = Date.now();
    if (now >= until) return undefined;
    // Right after the turn's expected length, try back to back (each try is one round trip);
    // a turn that lasts longer (Meta slow) is tried less often.
    const held = now - since;
    const pause = held < 2 * (holder.lastTurnMs ?? DEFAULT_TURN_MS) ? 1 : Math.min(100, held / 10);
    await sleep(Math.min(pause, until - now));
    const at = Date.now();
    const item = await claimTurn(request, ticket, holder.ticket, at);
    if (item) return { item, at };
  }
}

/**
 * Sleep before looking again: the next in line looks often (a tenth of a turn, 5 to 25 ms), so a
 * turn passes on quickly; the others sleep through most of the turns ahead of them (up to
 * MAX_SLEEP_MS), so a long line costs few reads. With jitter, so waiters do not look in step.
 */
function waitHint(ahead: number, turnMs: number): number {
  const base =
    ahead <= 1
      ? Math.min(NEXT_IN_LINE_MAX_SLEEP_MS, Math.max(5, turnMs / 10))
      : Math.min(MAX_SLEEP_MS, Math.max(5, (ahead - 1) * 0.8 * turnMs));
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
 * The update of the intent that ends a lease (and so begins the next ticket's turn), as a
 * transaction item (the state write completes its intent in the same transaction) or on its own
 * (`releaseLease`). `retryAt` delays the reconciler's next look at an unresolved number.
 */
export function endLeaseUpdate(lease: Lease, end: LeaseEnd, now = Date.now(), retryAt?: number) {
  const unresolved = end === "unresolved" || (end === "unchanged" && lease.unresolved);
  const values: Record<string, unknown> = {
    ":owner": lease.owner,
    ":ticket": lease.ticket,
    ":now": now,
    ":turn": Math.max(1, now - lease.claimedAt),
  };
  const turnOver = "lastTicket = :ticket, endedAt = :now, lastTurnMs = :turn";
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

/** Ends a lease outside a state write; false when it was no longer ours (it ended and was taken over). */
export async function releaseLease(lease: Lease, end: LeaseEnd, retryAt?: number): Promise<boolean> {
  const { TableName: _, ...input } = endLeaseUpdate(lease, end, Date.now(), retryAt);
  return conditionalUpdate(input);
}

/**
 * The number's record may be behind Meta (a webhook and an answer of the same moment disagree):
 * the reconciler looks at once. A lease in force keeps it; ending it as `resolved` (a newer,
 * complete answer) settles the question too.
 */
export async function markUnresolved(phoneNumberId: string, now = Date.now()): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: keys.intent(phoneNumberId),
      UpdateExpression:
        "SET #type = :type, phoneNumberId = :id, unresolved = :true, " +
        "unresolvedSince = if_not_exists(unresolvedSince, :now), gsi3pk = :due, gsi3sk = :dueKey",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: {
        ":type": "intent",
        ":id": phoneNumberId,
        ":true": true,
        ":now": now,
        ":due": DUE_PARTITION,
        ":dueKey": dueKey(now, phoneNumberId),
      },
    }),
  );
}

/** The numbers the reconciler must look at now: unresolved ones and ended leases, oldest first. */
export async function dueIntents(now: number, limit: number): Promise<string[]> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: tableName(),
      IndexName: "byDueTime",
      KeyConditionExpression: "gsi3pk = :due AND gsi3sk < :now",
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
