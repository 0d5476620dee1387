/**
 * The one workflow of a change made through Meta: a POST, a DELETE, and the reconciler's read
 * (docs/reliability.md, "No change lost after Meta acted"):
 *
 *   take the number's turn → read the record inside it (once) → call Meta → plan → commit,
 *   ending the turn in the same transaction.
 *
 * Whatever stops it after Meta was called, the turn says so: a refusal ends it `unchanged`; a
 * lost, unreadable or 5xx answer, or a write that failed, leaves it `unresolved` (or held until
 * its lease ends), and the reconciler reads Meta. Meta's answer is returned whatever the
 * recording did, and the recording never outlives the caller's deadline.
 */
import { settledBefore } from "../concurrency.ts";
import { logger } from "../logger.ts";
import type { Lease } from "../store/number-line.ts";
import { endTurn } from "../store/number-line.ts";
import { getPhone } from "../store/phones.ts";
import { commitUsernameChange, forgetRequest } from "../store/state-committer.ts";
import { storageFailure } from "../store/store-errors.ts";
import type { Observation } from "../username-state/ordering.ts";
import type { ChangeOutcome, TurnEnd } from "../username-state/planner.ts";
import type { PhoneRecord } from "../username-state/records.ts";
import type { UsernameState } from "../username-state/state.ts";
import { type TurnRequest, takeTurn } from "./turns.ts";

/** What Meta's answer means for the state. */
export type AnswerMeaning =
  /** Meta says the state is this (its success). */
  | { state: UsernameState }
  /** Meta changed nothing (a refusal). */
  | { refused: true }
  /** Meta may have acted, but its answer does not say how (a 5xx, an unreadable success). */
  | { unknown: string };

export interface ThroughMetaRequest<A> extends TurnRequest {
  source: "api" | "reconcile";
  requestId: string;
  /** The API key id whose request this is (POST, DELETE); absent for the reconciler. */
  requestedBy?: string;
  /** The record as already read (the API key's read); the record is read inside the turn otherwise. */
  prefetched?: PhoneRecord;
  /** The call to Meta, with the record read inside the turn. Throwing means: Meta may have acted. */
  call: (phone: PhoneRecord) => Promise<A>;
  /** What the answer means; `kind` tells a write (POST, DELETE) from a read (the reconciler's GET). */
  meaning: (answer: A, phone: PhoneRecord) => AnswerMeaning;
  kind: Observation["kind"];
  /** Epoch ms by which the recording must be over (the caller answers then whatever it did). */
  deadline: number;
  /** When the turn ends unresolved (Meta not read), when the reconciler looks next (epoch ms). */
  retryAt?: (lease: Lease) => number;
}

export interface ThroughMetaResult<A> {
  /** The turn did not come before `waitUntil`: Meta was not called. */
  busy?: false;
  /** Meta's answer, or undefined when the number was gone inside the turn. */
  answer?: A;
  /** The record as read inside the turn (before Meta was called). */
  recorded?: PhoneRecord;
  /** What the recording did; undefined when nothing was recorded (a refusal, or not in time). */
  outcome?: ChangeOutcome;
  lease: Lease;
}

/**
 * Runs one change through Meta (module comment). `{ busy: true }` when the turn does not come
 * before `waitUntil` (Meta is not called then). Throws the turn's own refusals (33, 429 code 4),
 * storage errors, and whatever `call` throws (the turn is left unresolved first).
 */
export async function changeThroughMeta<A>(
  request: ThroughMetaRequest<A>,
): Promise<ThroughMetaResult<A> | { busy: true }> {
  const lease = await takeTurn(request);
  if (!lease) return { busy: true };
  const { phoneNumberId } = request;
  let phone: PhoneRecord | undefined;
  try {
    // The record read with the API key serves an uncontended turn; after waiting in line it is
    // read again, inside the turn, once (others' changes came before it).
    phone =
      request.prefetched && !lease.waited
        ? withRecorded(request.prefetched, lease)
        : await getPhone(phoneNumberId, true);
  } catch (error) {
    await settleTurn(lease, "unchanged");
    throw error;
  }
  if (!phone) {
    await settleTurn(lease, "resolved");
    return { lease };
  }

  const sentAt = Date.now();
  let answer: A;
  try {
    answer = await request.call(phone);
  } catch (error) {
    // Meta unreachable, too slow or answering garbage: it may have acted all the same.
    await settleTurn(lease, "unresolved", request.retryAt?.(lease));
    throw error;
  }
  const observation: Observation = { kind: request.kind, sentAt, receivedAt: Date.now() };
  const meant = request.meaning(answer, phone);
  if (!("state" in meant)) {
    // A refusal changed nothing; anything else may hide a change.
    const end: TurnEnd = "refused" in meant ? "unchanged" : "unresolved";
    if ("unknown" in meant)
      logger.warn("Meta's answer does not say what it did; left to the reconciler", {
        phoneNumberId,
        why: meant.unknown,
      });
    await settleTurn(lease, end, "unknown" in meant ? request.retryAt?.(lease) : undefined);
    // Meta refused: the request asked for nothing that happened, so it explains nothing.
    if ("refused" in meant && lease.recorded) {
      await forgetRequest({ phoneNumberId, tenantId: lease.tenantId, ...lease.recorded });
    }
    return { answer, recorded: phone, lease };
  }

  const recording = commitUsernameChange({
    phoneNumberId,
    record: phone,
    lease,
    changes: [
      {
        kind: "answer",
        source: request.source,
        state: meant.state,
        observation,
        readBeforeSent: phone.version,
        requestId: request.requestId,
        ...(request.requestedBy !== undefined ? { requestedBy: request.requestedBy } : {}),
      },
    ],
  }).then(
    (outcome) => {
      logOutcome(phoneNumberId, outcome);
      return outcome;
    },
    async (error: unknown) => {
      // Meta acted; the answer goes back all the same. The turn stays unresolved (or its lease
      // ends with the invocation), and the reconciler records Meta's truth within minutes.
      logger.error("Meta acted but the state write failed: left to the reconciler", {
        phoneNumberId,
        ...storageFailure(error, { phoneNumberId }),
      });
      await settleTurn(lease, "unresolved", request.retryAt?.(lease));
      return undefined;
    },
  );
  // Meta's answer goes back before the invocation's end even if the store hangs: the write (and
  // its lease) are then left to end with the invocation, and the reconciler records Meta's state.
  const settled = await settledBefore(recording, request.deadline);
  if (!settled) {
    logger.error("state write still running at the deadline: left to the reconciler", { phoneNumberId });
    return { answer, recorded: phone, lease };
  }
  return { answer, recorded: phone, lease, ...(settled.value ? { outcome: settled.value } : {}) };
}

function logOutcome(phoneNumberId: string, outcome: ChangeOutcome): void {
  if (outcome.applied) {
    logger.info("username state recorded", {
      phoneNumberId,
      status: outcome.phone.status,
      version: outcome.phone.version,
      ...(outcome.transferredFrom ? { transferredFrom: outcome.transferredFrom } : {}),
    });
  } else if (outcome.reason === "unresolved") {
    logger.warn("Meta's answer and a change of the same moment disagree: left to the reconciler", {
      phoneNumberId,
    });
  }
}

/** A record read before the turn, as the turn left it: with the request it recorded in flight. */
function withRecorded(record: PhoneRecord, lease: Lease): PhoneRecord {
  if (!lease.recorded) return record;
  const { pendingUsername: _name, ...rest } = record;
  const { operation, username, keyId, at } = lease.recorded;
  return {
    ...rest,
    pendingOperation: operation,
    ...(username !== undefined ? { pendingUsername: username } : {}),
    pendingBy: keyId,
    pendingAt: at,
  };
}

/** Ending a turn never fails the request: if it cannot be ended, it lapses with the invocation. */
async function settleTurn(lease: Lease, end: TurnEnd, retryAt?: number): Promise<void> {
  try {
    await endTurn(lease, end, retryAt);
  } catch (error) {
    logger.warn("turn not ended; it lapses with the invocation", {
      phoneNumberId: lease.phoneNumberId,
      errorName: (error as Error)?.name,
    });
  }
}
