/**
 * The planner: the one place that decides what a number's username state becomes. Pure: given
 * the number's record as read and its changes in order (Meta's answer to a POST or DELETE, a
 * GET's or the reconciler's read, a webhook delivery's changes), it returns the plan of what to
 * write: the next record, a history item per applied change, the moves of the portfolio's
 * username-holder markers, the loss of a name by another number of the portfolio (a transfer),
 * the webhook de-duplication markers to check and to write, and how the number's turn ends. No
 * I/O: the committer (store/state-committer.ts) turns a plan into transactions, and when a
 * condition fails it reads again and asks the planner again with what it learnt (a duplicate, a
 * holder, a marker no longer ours).
 *
 * Rules, one home each (docs/reliability.md, "Ordering"):
 *  - when a change may replace the recorded state: the ordering rule (ordering.ts);
 *  - what a webhook's value means for the state: `webhookState` (a status without a username
 *    keeps the one on record; `deleted` clears it);
 *  - the record after a change: `nextRecord` (every change is the next version; the as-of time
 *    `stateEpoch` never moves back; an answer is dated by its call, a webhook by its second);
 *  - same state, newer webhook: only the as-of time moves (no history: nothing changed);
 *  - de-duplication: `stateEpoch` never moves back, so an event applied once is stale afterwards
 *    unless its state was replaced within that same second. Only then can a redelivery apply
 *    again, so only then are markers written: a change that replaces the state within the second
 *    of its event (`stateEvent`) writes that event's marker, and an event arriving at the very
 *    second of the stored state is checked against its own marker. An entry without time is
 *    identified by its content and checked and written whenever it applies.
 */
import {
  compareWindows,
  judgeAnswer,
  type Observation,
  recordedWindow,
  sameUsername,
  secondWindow,
  webhookMayApply,
} from "./ordering.ts";
import type { HistoryEvent, PhoneRecord } from "./records.ts";
import {
  type ChangeOrigin,
  type ChangeSource,
  type RequestOperation,
  sameState,
  type UsernameState,
  usernameKey,
} from "./state.ts";

/** A webhook event's identity (its de-duplication marker): when, and what it says. */
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

/** What Meta's answer to a call of ours says the state is (POST, DELETE, a GET, the reconciler's read). */
export interface AnswerChange {
  kind: "answer";
  source: Extract<ChangeSource, "api" | "reconcile">;
  state: UsernameState;
  /** When the call was sent and answered: the window within which Meta made the change. */
  observation: Observation;
  /**
   * The `version` of the record as read before the call was sent: while the record is still
   * that one, the answer is newer than everything in it, whatever the clocks say.
   */
  readBeforeSent?: number;
  requestId?: string;
  /** The API key id of the request (POST, DELETE, GET) through this service; absent for the reconciler. */
  requestedBy?: string;
}

/** One `business_username_updates` change of a Meta webhook delivery. */
export interface WebhookChange {
  kind: "webhook";
  event: WebhookEventId;
  /** Meta's value: `status`, `username` (absent when deleted), `context` (`revoked`). */
  value: { status: string; username?: string; context?: string };
  requestId?: string;
}

export type UsernameChange = AnswerChange | WebhookChange;

/**
 * Why a change did not apply:
 *  - `unchanged`: the record already says it;
 *  - `duplicate`: a webhook event applied before (its marker exists);
 *  - `stale`: older than the record, or than the record of the number holding the name;
 *  - `superseded`: an answer of Meta the record is already as new as;
 *  - `unresolved`: an answer whose order against the record is unknown (the reconciler reads Meta);
 *  - `missing`: no such number; `busy`: a GET's answer while a POST or DELETE holds the number;
 *  - `deferred`: not attempted, the caller's deadline was too near (a webhook's redelivery applies it).
 */
export type NotAppliedReason =
  | "unchanged"
  | "duplicate"
  | "stale"
  | "superseded"
  | "unresolved"
  | "missing"
  | "busy"
  | "deferred";

export type ChangeOutcome =
  | { applied: true; phone: PhoneRecord; transferredFrom?: string; ambiguous?: boolean }
  | { applied: false; reason: NotAppliedReason; phone?: PhoneRecord };

/**
 * How the turn of a call through Meta ends (usernames/turns.ts):
 *  - `resolved`: the state now recorded is Meta's (an applied or confirmed answer);
 *  - `unchanged`: nothing learnt (Meta refused): an earlier unknown outcome stays unknown;
 *  - `unresolved`: Meta may have acted and the record may be behind: the reconciler must look.
 */
export type TurnEnd = "resolved" | "unchanged" | "unresolved";

/** The number of the portfolio a holder marker names, and its record when it still holds the name. */
export interface Holder {
  phoneNumberId: string;
  record?: PhoneRecord;
}

/** What the committer learnt from failed conditions, for the next plan of the same changes. */
export interface Knowledge {
  /** Indexes of changes whose marker exists: applied by an earlier delivery. */
  duplicates: ReadonlySet<number>;
  /** Lower-case name → the number of the portfolio the holder marker names. */
  holders: ReadonlyMap<string, Holder>;
  /** Lower-case names whose marker no longer names this number: not ours to delete. */
  notOurs: ReadonlySet<string>;
}

export const NOTHING_KNOWN: Knowledge = { duplicates: new Set(), holders: new Map(), notOurs: new Set() };

/**
 * A holder-marker write (`BUSINESS#<portfolio>` / `USERNAME#<name>`), with the condition that
 * keeps the markers right under concurrency:
 *  - `take`: the name becomes this number's, if no number or this one holds it;
 *  - `takeFrom`: the name moves from `from` (a transfer), if that number still holds it;
 *  - `release`: this number no longer holds the name, if it did;
 *  - `releasePassed`: a name held only between two changes of the plan: deleted if absent or ours
 *    (held by another number, it is a transfer: the condition fails and the plan is made again);
 *  - `releaseFrom`: a name taken from `from` and let go within the plan.
 */
export type HolderMove =
  | { kind: "take"; name: string; username: string }
  | { kind: "takeFrom"; name: string; username: string; from: string }
  | { kind: "release"; name: string }
  | { kind: "releasePassed"; name: string }
  | { kind: "releaseFrom"; name: string; from: string };

/** A record's write: from the record read to the planned one, conditional on the first. */
export interface RecordWrite {
  from: PhoneRecord;
  to: PhoneRecord;
}

/**
 * A marker to write (`put`), to check absent and write (`claim`, for change `change`), or to check
 * absent (`check`). `lasting`: kept as long as the number (an entry without time: it can never be
 * ordered, so only its marker stops a replay, however late); others live 8 days (Meta retries for 7).
 */
export type MarkerWrite =
  | { kind: "put"; phoneNumberId: string; sk: string }
  | { kind: "check" | "claim"; phoneNumberId: string; sk: string; change: number; lasting?: boolean };

export interface Plan {
  phoneNumberId: string;
  /** The record the plan is decided from. */
  base: PhoneRecord;
  /** One outcome per change, in order. */
  outcomes: ChangeOutcome[];
  /** The number's record write; absent when nothing of the record changes. */
  record?: RecordWrite;
  /** Other numbers of the portfolio that lose a name to this one (transfers). */
  holderRecords: RecordWrite[];
  /** One per applied change, this number's and the losers', each at its record's next version. */
  history: HistoryEvent[];
  holderMoves: HolderMove[];
  markers: MarkerWrite[];
  /** How the turn of the call whose answer this is ends (undefined: no turn). */
  turnEnd?: TurnEnd;
  /** A webhook of the same moment as an answer that named another username applied: the reconciler must look. */
  markUnresolved: boolean;
  /** The business portfolio the holder markers belong to. */
  businessId: string;
}

export interface PlanInput {
  record: PhoneRecord;
  changes: readonly UsernameChange[];
  knowledge?: Knowledge;
  /** ISO time of the plan (history items' `at`, the record's `updatedAt`). */
  at: string;
  /** A new, unique event id for a history item (tenant events carry it). */
  newEventId: (at: string) => string;
  /** A call's answer whose turn this plan ends: the end is decided with the answer. */
  endsTurn?: boolean;
}

/** Plans `changes` from `record` (module comment). */
export function planChanges(input: PlanInput): Plan {
  const { record: base, changes, at } = input;
  const knowledge = input.knowledge ?? NOTHING_KNOWN;
  const me = base.phoneNumberId;
  const holderRecords = new Map<string, { from: PhoneRecord; to: PhoneRecord }>();
  const plan: Plan = {
    phoneNumberId: me,
    base,
    outcomes: [],
    holderRecords: [],
    history: [],
    holderMoves: [],
    markers: [],
    markUnresolved: false,
    businessId: base.businessId,
    ...(input.endsTurn ? { turnEnd: "resolved" as TurnEnd } : {}),
  };
  const history = (
    from: PhoneRecord,
    to: PhoneRecord,
    change: UsernameChange | TransferLoss,
    provenance: Provenance,
  ) => historyEvent(from, to, change, at, input.newEventId(at), provenance);
  /** Marker sort key → the change it checks (if any), whether it is written, and whether it lasts. */
  const markers = new Map<string, { check?: number; put?: boolean; lasting?: boolean }>();
  /** Names the number held after some change of the plan. */
  const passed = new Set<string>();
  let current = base;

  const notApplied = (reason: NotAppliedReason, end?: TurnEnd): ChangeOutcome => {
    if (end && plan.turnEnd !== undefined) plan.turnEnd = end;
    return { applied: false, reason, phone: current };
  };

  for (const [i, change] of changes.entries()) {
    if (knowledge.duplicates.has(i)) {
      plan.outcomes.push(notApplied("duplicate"));
      continue;
    }
    let state: UsernameState;
    let ambiguous = false;
    if (change.kind === "webhook") {
      const { event, value } = change;
      if (!event.untimed && !webhookMayApply(event.time, current)) {
        plan.outcomes.push(notApplied("stale"));
        continue;
      }
      state = webhookState(current, value);
      // Replacing an answer of Meta of the same moment that named another username: which of the
      // two Meta made last is unknown (rule 6).
      ambiguous =
        current.stateSentAt !== undefined &&
        compareWindows(secondWindow(event.time), recordedWindow(current)) === "overlap" &&
        !sameUsername(state, current);
    } else {
      state = change.state;
      // Everything in the record read before the call was sent happened before Meta answered
      // it: the answer is newer. Only a record written meanwhile is judged by the ordering rule.
      if (current.version !== change.readBeforeSent) {
        const verdict = judgeAnswer(change.observation, state, current);
        if (verdict !== "apply") {
          plan.outcomes.push(notApplied(verdict, verdict === "superseded" ? "resolved" : "unresolved"));
          continue;
        }
      }
    }

    if (sameState(current, state)) {
      if (
        change.kind === "webhook" &&
        !change.event.untimed &&
        isNewer(change.event.time, current.stateEpoch)
      ) {
        // Same state, newer event: the as-of time moves forward (no history: nothing changed), or
        // an older event still in flight would overwrite this newer truth.
        const { stateSentAt: _sent, stateReceivedAt: _received, ...rest } = current;
        current = { ...rest, stateEpoch: change.event.time, stateEvent: eventKey(change.event) };
      }
      plan.outcomes.push(notApplied("unchanged", "resolved"));
      continue;
    }

    const name = state.username !== undefined ? usernameKey(state.username) : undefined;
    const holder = name !== undefined ? knowledge.holders.get(name) : undefined;
    const holderRecord = holder && holder.phoneNumberId !== me ? holder.record : undefined;
    const holderNow = holderRecord
      ? (holderRecords.get(holderRecord.phoneNumberId)?.to ?? holderRecord)
      : undefined;
    const transferFrom =
      holderNow?.username !== undefined && usernameKey(holderNow.username) === name ? holderNow : undefined;
    if (transferFrom) {
      // Taking a name from another number of the portfolio is judged against that number's
      // record too: an older change never moves a name back (rule 3).
      const verdict = mayTakeName(change, transferFrom);
      if (verdict !== "apply") {
        plan.outcomes.push(notApplied(verdict, verdict === "stale" ? "resolved" : "unresolved"));
        continue;
      }
    }

    const provenance = provenanceOf(change, current, state);
    const next = nextRecord(current, state, change, at, provenance);
    const needs = markersFor(current, next, change.kind === "webhook" ? change.event : undefined);
    const own = needs.check ?? needs.checkAndPut;
    // Applied earlier in these changes, then replaced (within the same second, or an entry
    // without time whose marker is always written): a duplicate.
    if (own !== undefined && markers.has(own)) {
      plan.outcomes.push(notApplied("duplicate"));
      continue;
    }
    if (needs.check) markers.set(needs.check, { check: i });
    if (needs.checkAndPut) markers.set(needs.checkAndPut, { check: i, put: true, lasting: true });
    if (needs.put) markers.set(needs.put, { ...markers.get(needs.put), put: true });

    const item = history(current, next, change, provenance);
    if (transferFrom) {
      // Meta moved the name to this number (force_transfer, or an approval it decided): the
      // number of the portfolio that held it loses it, in the same write, with an event of its own.
      const entry = holderRecords.get(transferFrom.phoneNumberId) ?? { from: transferFrom, to: transferFrom };
      const loss: TransferLoss = {
        kind: "transfer",
        ...(change.kind === "answer" ? { observation: change.observation } : {}),
        ...(change.kind === "webhook" && !change.event.untimed ? { stateEpoch: change.event.time } : {}),
        requestId: change.requestId,
        provenance,
      };
      const lost = nextRecord(entry.to, {}, loss, at, provenance);
      const replaced = markersFor(entry.to, lost).put;
      if (replaced)
        plan.markers.push({ kind: "put", phoneNumberId: transferFrom.phoneNumberId, sk: replaced });
      plan.history.push({ ...history(entry.to, lost, loss, provenance), transferredTo: me });
      item.transferredFrom = transferFrom.phoneNumberId;
      entry.to = lost;
      holderRecords.set(transferFrom.phoneNumberId, entry);
    }
    plan.history.push(item);
    if (name !== undefined) passed.add(name);
    current = next;
    plan.outcomes.push({
      applied: true,
      phone: next,
      ...(transferFrom ? { transferredFrom: transferFrom.phoneNumberId } : {}),
      ...(ambiguous ? { ambiguous } : {}),
    });
    if (ambiguous) plan.markUnresolved = true;
    if (plan.turnEnd !== undefined) plan.turnEnd = "resolved";
  }

  if (current !== base) plan.record = { from: base, to: current };
  plan.holderRecords = [...holderRecords.values()];
  plan.holderMoves = holderMoves(base, current, passed, knowledge);
  for (const [sk, marker] of markers) {
    plan.markers.push(
      marker.check === undefined
        ? { kind: "put", phoneNumberId: me, sk }
        : {
            kind: marker.put ? "claim" : "check",
            phoneNumberId: me,
            sk,
            change: marker.check,
            ...(marker.lasting ? { lasting: true } : {}),
          },
    );
  }
  return plan;
}

/**
 * The holder-marker writes that take a plan's number from its base name to its final one. A name
 * whose marker names another number (the committer read it after a failed write) is taken from,
 * or let go of, that number, whether or not its record still holds the name (a stale marker).
 */
function holderMoves(
  base: PhoneRecord,
  final: PhoneRecord,
  passed: ReadonlySet<string>,
  knowledge: Knowledge,
): HolderMove[] {
  const me = base.phoneNumberId;
  const otherHolder = (name: string) => {
    const holder = knowledge.holders.get(name);
    return holder && holder.phoneNumberId !== me ? holder.phoneNumberId : undefined;
  };
  const moves: HolderMove[] = [];
  const before = base.username !== undefined ? usernameKey(base.username) : undefined;
  const after = final.username !== undefined ? usernameKey(final.username) : undefined;
  if (before !== undefined && before !== after && !knowledge.notOurs.has(before)) {
    moves.push({ kind: "release", name: before });
  }
  if (after !== undefined && final.username !== undefined) {
    const from = otherHolder(after);
    if (from !== undefined) moves.push({ kind: "takeFrom", name: after, username: final.username, from });
    else if (after !== before) moves.push({ kind: "take", name: after, username: final.username });
  }
  for (const name of passed) {
    if (name === before || name === after) continue;
    // A name held only between two changes: one at a time it would be taken, then let go.
    const from = otherHolder(name);
    moves.push(from !== undefined ? { kind: "releaseFrom", name, from } : { kind: "releasePassed", name });
  }
  return moves;
}

/** A number losing its name to another number of its portfolio (a transfer), dated as the change that took it. */
interface TransferLoss {
  kind: "transfer";
  observation?: Observation;
  stateEpoch?: number;
  requestId?: string | undefined;
  /** Who made the change that took the name: the loss is theirs too. */
  provenance: Provenance;
}

/** Who made a change, and whose request it was (docs/reliability.md, "Who changed it"). */
export interface Provenance {
  origin: ChangeOrigin;
  /** The API key id, for `this_service`. */
  requestedBy?: string;
  /** Which of the number's requests explained it (a change other than our own answer). */
  explainedBy?: "pending" | "requested";
}

/** Meta's `context` on a change that took a name away by its own decision. */
const REVOKED = "revoked";

/**
 * The one rule of who made a change: the answer to our own POST or DELETE is ours; any other
 * change (a webhook, a GET's or the reconciler's read) is ours only when the number's last request
 * through this service explains it (the name it claimed, or the deletion it asked for), and never
 * a revocation (Meta's own decision); everything else came from outside.
 */
export function provenanceOf(change: UsernameChange, record: PhoneRecord, state: UsernameState): Provenance {
  if (change.kind === "answer" && change.observation.kind === "write") {
    return {
      origin: "this_service",
      ...(change.requestedBy !== undefined ? { requestedBy: change.requestedBy } : {}),
    };
  }
  if (change.kind === "webhook" && change.value.context === REVOKED) return { origin: "outside" };
  const request = explainingRequest(record, state);
  if (!request) return { origin: "outside" };
  return {
    origin: "this_service",
    ...(request.by !== undefined ? { requestedBy: request.by } : {}),
    explainedBy: request.which,
  };
}

interface RequestOnRecord {
  which: "pending" | "requested";
  operation?: RequestOperation;
  username?: string;
  by?: string;
  at?: string;
}

/** The request through this service (the one in flight first, then the last accepted) that asked for this state. */
function explainingRequest(record: PhoneRecord, state: UsernameState): RequestOnRecord | undefined {
  const requests: RequestOnRecord[] = [
    {
      which: "pending",
      ...(record.pendingOperation !== undefined ? { operation: record.pendingOperation } : {}),
      ...(record.pendingUsername !== undefined ? { username: record.pendingUsername } : {}),
      ...(record.pendingBy !== undefined ? { by: record.pendingBy } : {}),
      ...(record.pendingAt !== undefined ? { at: record.pendingAt } : {}),
    },
    {
      which: "requested",
      ...(record.requestedOperation !== undefined ? { operation: record.requestedOperation } : {}),
      ...(record.requestedUsername !== undefined ? { username: record.requestedUsername } : {}),
      ...(record.requestedBy !== undefined ? { by: record.requestedBy } : {}),
      ...(record.requestedAt !== undefined ? { at: record.requestedAt } : {}),
    },
  ];
  return requests.find((request) => asks(request, state));
}

/** Whether a request asked for this state: the name it claimed (any status but deleted), or the deletion. */
function asks(request: RequestOnRecord, state: UsernameState): boolean {
  if (request.operation === "claim") {
    return (
      state.username !== undefined &&
      request.username !== undefined &&
      usernameKey(state.username) === usernameKey(request.username) &&
      state.status !== "deleted"
    );
  }
  if (request.operation === "delete") return state.username === undefined && state.status === "deleted";
  return false;
}

/** The request an answer to our POST or DELETE stands for: what it asked Meta for. */
function requestOf(change: AnswerChange): { operation: RequestOperation; username?: string } {
  return change.state.username !== undefined && change.state.status !== "deleted"
    ? { operation: "claim", username: change.state.username }
    : { operation: "delete" };
}

/** What a webhook's value means for the state: `deleted` clears the name; a status alone keeps the one on record. */
export function webhookState(record: UsernameState, value: WebhookChange["value"]): UsernameState {
  if (value.status === "deleted") return { status: "deleted" };
  return { username: value.username ?? record.username, status: value.status };
}

/**
 * Whether a change may take its name from the number of the portfolio that holds it: only when
 * it is not older than that number's record (its hold of the name may be the newer truth).
 */
function mayTakeName(change: UsernameChange, holder: PhoneRecord): "apply" | "stale" | "unresolved" {
  if (change.kind === "answer") {
    const { observation } = change;
    const order = compareWindows(
      { from: observation.sentAt, to: observation.receivedAt },
      recordedWindow(holder),
    );
    if (order === "newer") return "apply";
    return order === "older" || observation.kind === "read" ? "stale" : "unresolved";
  }
  if (change.event.untimed) return "apply";
  return webhookMayApply(change.event.time, holder) ? "apply" : "stale";
}

/** A webhook event's identity as its marker's sort key (`WEBHOOK#<time>#<status>#<name>`). */
export function eventKey(event: WebhookEventId): string {
  const time = event.untimed
    ? event.aheadTime !== undefined
      ? `ahead${event.aheadTime}`
      : "untimed"
    : event.time;
  return `WEBHOOK#${time}#${event.status}#${event.username?.toLowerCase() ?? ""}`;
}

/**
 * The markers a change from `current` to `next` needs (module comment): `check`, the arriving
 * event's marker must not exist; `checkAndPut`, the same, and it is written (an entry without
 * time); `put`, the replaced state's event becomes a duplicate.
 */
function markersFor(
  current: PhoneRecord,
  next: PhoneRecord,
  event?: WebhookEventId,
): { check?: string; checkAndPut?: string; put?: string } {
  const own = event ? eventKey(event) : undefined;
  const sameSecond = current.stateEpoch !== undefined && next.stateEpoch === current.stateEpoch;
  const replaced =
    sameSecond && current.stateEvent && current.stateEvent !== own ? current.stateEvent : undefined;
  return {
    ...(own && event?.untimed ? { checkAndPut: own } : own && sameSecond ? { check: own } : {}),
    ...(replaced ? { put: replaced } : {}),
  };
}

/**
 * The record after one change: every change is the next version; the as-of time never moves
 * back. An answer of Meta is dated by its observation (the second its call was sent, and its
 * window); a webhook event by its second, which clears any observation window.
 */
function nextRecord(
  current: PhoneRecord,
  state: UsernameState,
  change: UsernameChange | TransferLoss,
  at: string,
  provenance: Provenance,
): PhoneRecord {
  const observation = change.kind === "answer" || change.kind === "transfer" ? change.observation : undefined;
  const dated =
    change.kind === "webhook"
      ? change.event.untimed
        ? undefined
        : change.event.time
      : change.kind === "transfer"
        ? change.stateEpoch
        : undefined;
  const epoch = observation ? Math.floor(observation.sentAt / 1000) : dated;
  const stateEpoch = epoch === undefined ? current.stateEpoch : Math.max(epoch, current.stateEpoch ?? epoch);
  const {
    username: _u,
    status: _s,
    context: _c,
    stateEpoch: _e,
    stateSentAt: _sent,
    stateReceivedAt: _received,
    stateEvent: _event,
    requestedOperation: _op,
    requestedUsername: _name,
    requestedBy: _by,
    requestedAt: _requestedAt,
    pendingOperation: _pendingOp,
    pendingUsername: _pendingName,
    pendingBy: _pendingBy,
    pendingAt: _pendingAt,
    ...rest
  } = current;
  // The number's requests through this service (records.ts): the answer to our POST or DELETE
  // makes its request the last accepted one and ends the one in flight; a change a request in
  // flight explains (Meta's webhook before our answer, the reconciler settling it) does the same;
  // a change from outside or a transfer ends the last accepted one (it no longer explains
  // anything), and leaves the one in flight to its own answer.
  const kept = (which: "pending" | "requested") =>
    which === "pending"
      ? {
          ...(current.pendingOperation !== undefined ? { pendingOperation: current.pendingOperation } : {}),
          ...(current.pendingUsername !== undefined ? { pendingUsername: current.pendingUsername } : {}),
          ...(current.pendingBy !== undefined ? { pendingBy: current.pendingBy } : {}),
          ...(current.pendingAt !== undefined ? { pendingAt: current.pendingAt } : {}),
        }
      : {
          ...(current.requestedOperation !== undefined
            ? { requestedOperation: current.requestedOperation }
            : {}),
          ...(current.requestedUsername !== undefined
            ? { requestedUsername: current.requestedUsername }
            : {}),
          ...(current.requestedBy !== undefined ? { requestedBy: current.requestedBy } : {}),
          ...(current.requestedAt !== undefined ? { requestedAt: current.requestedAt } : {}),
        };
  let requests: Partial<PhoneRecord>;
  if (change.kind === "answer" && change.observation.kind === "write") {
    const asked = requestOf(change);
    requests = {
      requestedOperation: asked.operation,
      ...(asked.username !== undefined ? { requestedUsername: asked.username } : {}),
      ...(change.requestedBy !== undefined ? { requestedBy: change.requestedBy } : {}),
      requestedAt: new Date(change.observation.sentAt).toISOString(),
    };
  } else if (provenance.explainedBy === "pending") {
    requests = {
      ...(current.pendingOperation !== undefined ? { requestedOperation: current.pendingOperation } : {}),
      ...(current.pendingUsername !== undefined ? { requestedUsername: current.pendingUsername } : {}),
      ...(current.pendingBy !== undefined ? { requestedBy: current.pendingBy } : {}),
      ...(current.pendingAt !== undefined ? { requestedAt: current.pendingAt } : {}),
    };
  } else if (provenance.origin === "this_service" && change.kind !== "transfer") {
    requests = { ...kept("pending"), ...kept("requested") };
  } else {
    requests = kept("pending");
  }
  const context = change.kind === "webhook" ? change.value.context : undefined;
  return {
    ...rest,
    ...(state.username !== undefined ? { username: state.username } : {}),
    ...(state.status !== undefined ? { status: state.status } : {}),
    ...(context !== undefined ? { context } : {}),
    updatedAt: at,
    source: change.kind === "answer" ? change.source : change.kind,
    ...(stateEpoch !== undefined ? { stateEpoch } : {}),
    ...(observation ? { stateSentAt: observation.sentAt, stateReceivedAt: observation.receivedAt } : {}),
    ...(change.kind === "webhook" ? { stateEvent: eventKey(change.event) } : {}),
    ...requests,
    version: current.version + 1,
  };
}

function historyEvent(
  current: PhoneRecord,
  next: PhoneRecord,
  change: UsernameChange | TransferLoss,
  at: string,
  eventId: string,
  provenance: Provenance,
): HistoryEvent {
  const eventTime =
    change.kind === "webhook"
      ? change.event.untimed
        ? undefined
        : change.event.time
      : change.kind === "transfer"
        ? change.stateEpoch
        : undefined;
  return {
    eventId,
    tenantId: current.tenantId,
    phoneNumberId: current.phoneNumberId,
    wabaId: current.wabaId,
    displayPhoneNumber: current.displayPhoneNumber,
    version: next.version,
    at,
    source: next.source as ChangeSource,
    ...(next.username !== undefined ? { username: next.username } : {}),
    ...(next.status !== undefined ? { status: next.status } : {}),
    ...(current.username !== undefined ? { previousUsername: current.username } : {}),
    ...(current.status !== undefined ? { previousStatus: current.status } : {}),
    ...(change.requestId !== undefined ? { requestId: change.requestId } : {}),
    ...(next.context !== undefined ? { context: next.context } : {}),
    ...(eventTime !== undefined ? { eventTime } : {}),
    origin: provenance.origin,
    ...(provenance.requestedBy !== undefined ? { requestedBy: provenance.requestedBy } : {}),
  };
}

function isNewer(epoch: number, than: number | undefined): boolean {
  return than === undefined || epoch > than;
}
