/** The username state of one phone number, as docs/spec.md, "Recorded state", defines it. */

/**
 * What changed a number's state: `api` (an answer of Meta to a call through the proxy),
 * `webhook` (Meta's business_username_updates), `reconcile` (a read of Meta by the reconciler
 * or `phone sync`), `transfer` (the number lost its name because Meta moved it to another
 * number of its portfolio).
 */
export type ChangeSource = "api" | "webhook" | "reconcile" | "transfer";

/**
 * Who made a change (how the service learnt of it is its `source`): `this_service` when a request
 * made through this service explains it, `outside` otherwise (another partner on the number,
 * WhatsApp Manager, Meta's own decisions such as a revocation, drift the reconciler found).
 */
export type ChangeOrigin = "this_service" | "outside";

/** What a request through this service asked Meta for. */
export type RequestOperation = "claim" | "delete";

export interface UsernameState {
  /** Absent when the number has no username. */
  username?: string;
  /** `reserved`, `approved`, `deleted`, or any future value Meta sends (stored as given). */
  status?: string;
}

/** Case is ignored when comparing names (`myID` = `myid`); periods and underscores are not. */
export function usernameKey(username: string): string {
  return username.toLowerCase();
}

export function sameState(a: UsernameState, b: UsernameState): boolean {
  return a.username === b.username && a.status === b.status;
}

/** The state a successful DELETE leaves behind. */
export const deletedState: UsernameState = { status: "deleted" };
