/**
 * The one ordering rule for changes to a number's username state (docs/reliability.md,
 * "Ordering"). Every change and every recorded state has a time window in epoch milliseconds
 * within which Meta made it:
 *  - a webhook event: its `entry.time` second, [T·1000, T·1000 + 999];
 *  - an answer of Meta to a call (POST, DELETE, or a GET by the API or the reconciler): from when
 *    the call was sent to when its answer arrived, [sentAt, receivedAt].
 * Pure functions: the planner (planner.ts) applies them to the record the committer read.
 */
import { usernameKey } from "./state.ts";

/** Epoch ms: the earliest and the latest moment Meta can have made the change. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** What an answer of Meta tells: `write`, the state after the call's own change; `read`, the state Meta had. */
export type AnswerKind = "write" | "read";

/** When Meta made an observed change: the window of the call that observed it. */
export interface Observation {
  kind: AnswerKind;
  /** Epoch ms when the call to Meta was sent. */
  sentAt: number;
  /** Epoch ms when Meta's answer arrived. */
  receivedAt: number;
}

/** The window of a webhook event's second. */
export function secondWindow(epochSeconds: number): TimeWindow {
  return { from: epochSeconds * 1000, to: epochSeconds * 1000 + 999 };
}

/** The fields of a recorded state that date it (see store/phones.ts PhoneRecord). */
export interface DatedState {
  /** Epoch seconds the state is as of; never moves back. */
  stateEpoch?: number;
  /** Set when an answer of Meta (not a webhook) set the state: its call's window. */
  stateSentAt?: number;
  stateReceivedAt?: number;
}

/** The window of a recorded state; undefined when nothing dated it yet. */
export function recordedWindow(record: DatedState): TimeWindow | undefined {
  if (record.stateSentAt !== undefined && record.stateReceivedAt !== undefined) {
    return { from: record.stateSentAt, to: record.stateReceivedAt };
  }
  return record.stateEpoch === undefined ? undefined : secondWindow(record.stateEpoch);
}

/** `newer`: surely after; `older`: surely before; `overlap`: the windows cross, the order is unknown. */
export type Order = "newer" | "older" | "overlap";

export function compareWindows(change: TimeWindow, recorded: TimeWindow | undefined): Order {
  if (recorded === undefined || change.from > recorded.to) return "newer";
  if (change.to < recorded.from) return "older";
  return "overlap";
}

/** Whether two states name the same username (case ignored), or both none. */
export function sameUsername(a: { username?: string }, b: { username?: string }): boolean {
  if (a.username === undefined || b.username === undefined) return a.username === b.username;
  return usernameKey(a.username) === usernameKey(b.username);
}

/**
 * What to do with an answer of Meta given the recorded state it would replace (or take a name from):
 *  - `apply`: the answer is surely newer;
 *  - `superseded`: the record is at least as new and consistent with it (nothing to do);
 *  - `unresolved`: a POST or DELETE whose answer disagrees with a record of the same moment:
 *    which came last is unknown, so the reconciler must read Meta.
 * A GET (`read`) that is not surely newer is superseded even when it disagrees: it can only
 * disagree with a change of the same moment if Meta answered it before making that change.
 */
export function judgeAnswer(
  observation: Observation,
  answer: { username?: string },
  record: DatedState & { username?: string },
): "apply" | "superseded" | "unresolved" {
  const order = compareWindows(
    { from: observation.sentAt, to: observation.receivedAt },
    recordedWindow(record),
  );
  if (order === "newer") return "apply";
  if (order === "older" || observation.kind === "read" || sameUsername(answer, record)) return "superseded";
  return "unresolved";
}

/**
 * Whether a webhook event of second `time` may replace the recorded state (or take a name from
 * it): not when the record is surely newer. Events of the record's own second apply (Meta's order
 * within a second is unknown; the de-duplication markers keep a replay from applying twice).
 */
export function webhookMayApply(time: number, record: DatedState): boolean {
  return compareWindows(secondWindow(time), recordedWindow(record)) !== "older";
}
