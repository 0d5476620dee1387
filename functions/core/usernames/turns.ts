/**
 * Turns: per phone number, the changes made through Meta (POST, DELETE, the reconciler's reads)
 * go one at a time, in arrival order (docs/reliability.md, "Contention"). A caller takes the
 * number's turn before it calls Meta, and the state write that records Meta's answer ends it
 * (store/state-committer.ts), so "recorded" and "turn over" are one fact.
 *
 * Uncontended, taking the turn is one write (store/number-line.ts `claimEmptyLine`): the lease
 * on an empty line, with the number's ownership checked and the tenant's Meta call counted in the
 * same transaction. Otherwise the caller joins the line: a ticket, then its turn is the first
 * ticket after the last one over that was not given up. Waiters sleep in proportion to their place
 * in the line and the last turn's length, so a long line costs few reads; the next in line claims
 * as soon as the holder's turn ends, without reading in between.
 *
 * A turn whose caller's wait has ended (it died waiting, e.g. the process was killed) is given up
 * on at once; a turn whose caller never said how long it waits, once a waiter has seen it
 * unclaimed for ABANDONED_TURN_MS. A lease whose holder died is taken over when it ends; the
 * number is then unresolved (what the dead holder's call did at Meta is unknown).
 */
import { graphErrors } from "../errors/graph-error.ts";
import { tenantMetaLimitReached, tenantMetaWindow } from "../rate-limit/tenant-meta-limit.ts";
import {
  abandonTickets,
  checkOwnerAndCount,
  claimEmptyLine,
  claimTurn,
  forgetTickets,
  type Lease,
  type LineItem,
  type TurnRequest as LineTurnRequest,
  readLine,
  sayWaiting,
  takeOverDeadLease,
  takeTicket,
} from "../store/number-line.ts";
import { type RecordedRequest, recordRequest, requestRecordUpdate } from "../store/state-committer.ts";

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
/** How many `waiting` entries the line keeps at most before a caller forgets the passed ones. */
const FORGET_BATCH = 16;

export interface TurnRequest extends LineTurnRequest {
  /** Epoch ms after which waiting gives up (the caller must not call Meta then). */
  waitUntil: number;
  /**
   * Check that the number is `tenantId`'s (API routes: another tenant's is code 33, like an unknown
   * one), with the turn. The reconciler knows whose number it is and does not check.
   */
  checkOwner?: boolean;
  /** Count the call against the tenant's Meta limit (API routes), or refuse it with 429 code 4. */
  countMetaCall?: boolean;
  /**
   * A request through this service (POST, DELETE): recorded on the number with its turn, so the
   * changes Meta makes for it are known as this service's (the reconciler asks for nothing).
   */
  request?: { operation: "claim" | "delete"; username?: string; keyId: string };
}

function recordedRequest(request: TurnRequest): RecordedRequest | undefined {
  if (!request.request) return undefined;
  return {
    phoneNumberId: request.phoneNumberId,
    tenantId: request.tenantId,
    operation: request.request.operation,
    ...(request.request.username !== undefined ? { username: request.request.username } : {}),
    keyId: request.request.keyId,
    at: new Date().toISOString(),
  };
}

/**
 * Waits for this caller's turn on the number and holds its lease; undefined when `waitUntil`
 * passed first. Throws the Graph errors of a number that is not the tenant's (33) and of a full
 * Meta limit (429 code 4), before any ticket is taken, and storage errors.
 */
export async function takeTurn(request: TurnRequest): Promise<Lease | undefined> {
  const counter = request.countMetaCall ? tenantMetaWindow(request.tenantId) : undefined;
  const recorded = recordedRequest(request);
  const fast = await claimEmptyLine({
    ...request,
    ...(counter ? { counter } : {}),
    ...(recorded ? { ownerWrite: requestRecordUpdate(recorded) } : {}),
  });
  if (typeof fast === "object") return recorded ? { ...fast.claimed, recorded } : fast.claimed;
  if (fast === "not-owner") throw graphErrors.phoneNumberNotAccessible(request.phoneNumberId);
  if (fast === "limited" && counter) throw tenantMetaLimitReached(counter);
  // The line is busy: what the empty line's write would have done, then a ticket.
  const owed = await checkOwnerAndCount(
    request.phoneNumberId,
    request.checkOwner ? request.tenantId : undefined,
    counter,
  );
  if (owed === "not-owner") throw graphErrors.phoneNumberNotAccessible(request.phoneNumberId);
  if (owed === "limited" && counter) throw tenantMetaLimitReached(counter);
  const inLine = await waitInLine(request);
  // Others changed the number while this one waited: what was read before the line is stale.
  const lease = inLine && { ...inLine, waited: true };
  // Recorded once the turn is ours: a request waiting in line must not speak for the one in flight.
  const waited = recordedRequest(request);
  if (!lease || !waited) return lease;
  await recordRequest(waited);
  return { ...lease, recorded: waited };
}

async function waitInLine(request: TurnRequest): Promise<Lease | undefined> {
  const { phoneNumberId } = request;
  let { ticket, line } = await takeTicket(phoneNumberId);
  const lease = (claimed: LineItem, claimedAt: number): Lease => ({
    phoneNumberId,
    tenantId: request.tenantId,
    owner: request.owner,
    unresolved: claimed.unresolved === true,
    reconcileAttempts: claimed.reconcileAttempts ?? 0,
    claimedAt,
  });
  let said = false;
  const claimed = (item: LineItem, at: number) => {
    if (said) void forgetPassedTurns(phoneNumberId, ticket, line);
    return lease(item, at);
  };
  try {
    // A turn before ours that we have seen unclaimed since `unclaimedSince`.
    let unclaimed: number | undefined;
    let unclaimedSince = 0;
    for (let first = true; ; first = false) {
      if (!first) {
        const read = await readLine(phoneNumberId);
        if (!read) throw new Error(`the line of ${phoneNumberId} vanished`);
        line = read;
      }
      const now = Date.now();
      // A wait that is over ends here, whatever the line looks like: no branch below may claim
      // after it. (The next in line used to go on trying until the holder's turn ended, then call
      // Meta with what was left of the invocation: a 504 at its deadline instead of this 503.)
      if (now >= request.waitUntil) {
        await abandonTickets(phoneNumberId, [ticket]);
        return undefined;
      }
      // While a lease is held, the turn is its holder's (the tickets before it may be forgotten).
      const held = line.leaseOwner !== undefined && line.ticket !== undefined;
      const turn = held ? (line.ticket as number) : turnOf(line);
      const free = line.leaseOwner === undefined;
      if (!free || turn !== unclaimed) {
        unclaimed = free && turn < ticket ? turn : undefined;
        unclaimedSince = now;
      }
      if (!said && !(free && turn === ticket)) {
        // A caller that has to wait says until when, so a turn it will never take is given up on at once.
        await sayWaiting(phoneNumberId, ticket, request.waitUntil);
        said = true;
      }
      if (line.leaseOwner !== undefined) {
        if ((line.leaseUntil ?? 0) < now) {
          await takeOverDeadLease(line, request.tenantId, now);
          continue;
        }
        if (line.ticket !== undefined && turnOf({ ...line, lastTicket: line.ticket }) === ticket) {
          // Next in line: claim as soon as the holder's turn is over, without reading in between.
          const next = await claimWhenOver(request, ticket, line);
          if (next) return claimed(next.item, next.at);
          continue;
        }
      } else if (turn > ticket) {
        // Our turn was given up on while we slept (or the line was counted from an older item):
        // join the line again.
        ({ ticket, line } = await takeTicket(phoneNumberId, turn));
        await sayWaiting(phoneNumberId, ticket, request.waitUntil);
        said = true;
        continue;
      } else if (turn === ticket) {
        const item = await claimTurn(request, ticket, line.lastTicket, now);
        if (item) return claimed(item, now);
        continue;
      } else if (deadTurns(line, turn, ticket, now).length > 0) {
        // Callers before us whose waits are over (they died waiting): their turns go at once.
        await abandonTickets(phoneNumberId, deadTurns(line, turn, ticket, now));
        continue;
      } else if (now - unclaimedSince > ABANDONED_TURN_MS) {
        // Nobody came for a turn before ours all this time: its caller died waiting.
        await abandonTickets(phoneNumberId, [turn]);
        continue;
      }
      const sleepMs = waitHint(ticket - turn, line.lastTurnMs ?? DEFAULT_TURN_MS);
      await sleep(Math.min(sleepMs, Math.max(1, request.waitUntil - now)));
    }
  } catch (error) {
    await abandonTickets(phoneNumberId, [ticket]);
    throw error;
  }
}

/** Whose turn it is on a free line: the first ticket after the last one over that was not given up. */
function turnOf(line: Pick<LineItem, "lastTicket" | "abandoned">): number {
  let turn = (line.lastTicket ?? 0) + 1;
  while (line.abandoned?.has(turn)) turn++;
  return turn;
}

/**
 * The tickets from `turn` up to (not including) `ticket` whose callers' waits have ended: they
 * will never take their turn. Stops at the first one that may still come.
 */
function deadTurns(line: LineItem, turn: number, ticket: number, now: number): number[] {
  const dead: number[] = [];
  for (let t = turn; t < ticket; t++) {
    if (line.abandoned?.has(t)) continue;
    const until = line.waiting?.[String(t)];
    if (until === undefined || until >= now) break;
    dead.push(t);
  }
  return dead;
}

/**
 * Once `ticket` holds the lease, the tickets before it are never looked at again: while it holds
 * the lease, waiters judge their place from its ticket, and after it `lastTicket` is at least
 * `ticket` (it only grows). Their `abandoned` and `waiting` entries go (and this ticket's
 * `waiting`), as seen in the caller's last read, so the item stays small on a number used for
 * years. `waiting` entries are forgotten in batches (a write each time would cost every waiter a
 * write), abandoned tickets (rare) at once.
 */
function forgetPassedTurns(phoneNumberId: string, ticket: number, line: LineItem | undefined) {
  const abandoned = [...(line?.abandoned ?? [])].filter((t) => t < ticket);
  const seen = Object.keys(line?.waiting ?? {});
  if (abandoned.length === 0 && seen.length < FORGET_BATCH) return Promise.resolve();
  const waiting = [...new Set([String(ticket), ...seen.filter((t) => Number(t) < ticket)])];
  return forgetTickets(phoneNumberId, waiting, abandoned);
}

/**
 * The caller right after the lease holder claims as soon as the holder's turn is over, without
 * reading in between (a failed conditional update costs what a read does, and a success needs no
 * read first): back to back while the turn is within twice the last one's length, then less often
 * (a tenth of the time held so far, up to 100 ms). Gives up when the holder's lease runs out (then
 * it is taken over) or the caller's wait ends. Nobody else can claim after the holder: the
 * tickets between were given up.
 */
async function claimWhenOver(
  request: TurnRequest,
  ticket: number,
  holder: LineItem,
): Promise<{ item: LineItem; at: number } | undefined> {
  const until = Math.min(holder.leaseUntil ?? 0, request.waitUntil);
  const since = holder.startedAt ?? Date.now();
  for (;;) {
    const now = Date.now();
    if (now >= until) return undefined;
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
