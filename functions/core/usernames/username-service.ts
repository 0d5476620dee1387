/**
 * The four username operations (docs/spec.md, "The username API", "Recorded state"): find the caller's phone number, call Meta with
 * its token, record what Meta's answer means for the stored state. A Meta refusal changes nothing.
 *
 * POST and DELETE change the number at Meta, so they run under the number's intent
 * (store/intents.ts): one at a time per number, in arrival order, each recorded before the next
 * starts. Meta's answer is always returned, even when it could not be recorded: the intent then
 * stays unresolved and the reconciler records Meta's truth (docs/reliability.md). All four count
 * against the tenant's Meta call limit once the number is known to be theirs, before Meta is called.
 */
import type { Caller } from "../auth/authenticate.ts";
import { settledBefore } from "../concurrency.ts";
import { decryptToken } from "../crypto/token-cipher.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { callGraph, type GraphAnswer, type GraphCall } from "../graph/client.ts";
import { logger } from "../logger.ts";
import { enforceTenantMetaLimit } from "../rate-limit/tenant-meta-limit.ts";
import { acquireLease, type IntentOperation, type LeaseEnd, releaseLease } from "../store/intents.ts";
import { getPhone } from "../store/phones.ts";
import { storageFailure } from "../store/store-errors.ts";
import { applyUsernameChange, type ChangeOutcome } from "../store/username-changes.ts";
import type { Observation } from "../username-state/ordering.ts";
import type { PhoneRecord } from "../username-state/records.ts";
import { deletedState, type UsernameState } from "../username-state/state.ts";
import {
  type ClaimUsernameBody,
  claimResponseSchema,
  deleteResponseSchema,
  usernameResponseSchema,
} from "../validation/username-request.ts";

export interface UsernameRequest {
  caller: Caller;
  version: string;
  phoneNumberId: string;
  requestId: string;
  /** Epoch ms after which no upstream call may still be running (the invocation's end, less a reserve). */
  deadline: number;
  /** Epoch ms at which the invocation is surely over (its lease on the number ends then). */
  invocationEnd?: number;
  /** The phone number as already read with the API key (null: read, not there); else read here. */
  prefetchedPhone?: PhoneRecord | null;
}

/** Meta's budget a POST or DELETE keeps at least: its wait for the number's turn ends this much before the deadline. */
const MIN_META_BUDGET_MS = 5_000;

/**
 * The caller's phone number. Unknown and foreign numbers are the same error, so a tenant
 * cannot learn which ids exist, and Meta is never called for them.
 */
async function ownedPhone(request: UsernameRequest): Promise<PhoneRecord> {
  const phone =
    request.prefetchedPhone === undefined
      ? await getPhone(request.phoneNumberId)
      : (request.prefetchedPhone ?? undefined);
  if (!phone || phone.tenantId !== request.caller.tenantId) {
    throw graphErrors.phoneNumberNotAccessible(request.phoneNumberId);
  }
  return phone;
}

function graph(
  request: UsernameRequest,
  phone: PhoneRecord,
  call: Pick<GraphCall, "method" | "edge" | "body">,
) {
  return callGraph({
    ...call,
    version: request.version,
    phoneNumberId: phone.phoneNumberId,
    accessToken: decryptToken(phone.accessTokenEncrypted, phone.phoneNumberId),
    deadline: request.deadline,
  });
}

/** What an answer of Meta says about the state: the state, nothing (a refusal), or not readable. */
type AnswerMeaning = { state: UsernameState } | "nothing" | "unreadable";

function logOutcome(phone: PhoneRecord, outcome: ChangeOutcome, state: UsernameState): void {
  if (outcome.applied) {
    logger.info("username state recorded", {
      phoneNumberId: phone.phoneNumberId,
      status: state.status,
      version: outcome.phone.version,
      ...(outcome.transferredFrom ? { transferredFrom: outcome.transferredFrom } : {}),
    });
  } else if (outcome.reason === "unresolved") {
    logger.warn("Meta's answer and a change of the same moment disagree: left to the reconciler", {
      phoneNumberId: phone.phoneNumberId,
    });
  }
}

/**
 * A POST or DELETE: waits for the number's turn (never calling Meta if it does not come in
 * time), calls Meta, records the answer in the same transaction that ends the intent, and returns
 * Meta's answer whatever the recording did.
 */
async function changeThroughMeta(
  request: UsernameRequest,
  phone: PhoneRecord,
  operation: IntentOperation,
  username: string | undefined,
  call: () => Promise<GraphAnswer>,
  meaning: (answer: GraphAnswer) => AnswerMeaning,
): Promise<GraphAnswer> {
  const invocationEnd = request.invocationEnd ?? request.deadline;
  const lease = await acquireLease({
    phoneNumberId: phone.phoneNumberId,
    owner: request.requestId,
    operation,
    ...(username ? { username } : {}),
    leaseUntil: invocationEnd,
    waitUntil: request.deadline - MIN_META_BUDGET_MS,
  });
  if (!lease) throw graphErrors.phoneNumberBusy();

  const sentAt = Date.now();
  let answer: GraphAnswer;
  try {
    answer = await call();
  } catch (error) {
    // Meta unreachable, too slow or answering garbage: it may have acted all the same.
    await settleLease(() => releaseLease(lease, "unresolved"), phone);
    throw error;
  }
  const observation: Observation = { kind: "write", sentAt, receivedAt: Date.now() };
  const meant = meaning(answer);
  if (typeof meant === "string") {
    // A refusal (4xx) changed nothing; a 5xx or an unreadable success may hide a change.
    const end: LeaseEnd = meant === "nothing" && answer.status < 500 ? "unchanged" : "unresolved";
    if (meant === "unreadable") unexpectedShape(phone, "username");
    await settleLease(() => releaseLease(lease, end), phone);
    return answer;
  }
  const recording = applyUsernameChange({
    phoneNumberId: phone.phoneNumberId,
    source: "api",
    requestId: request.requestId,
    current: phone,
    readBeforeSent: phone,
    observation,
    lease,
    decide: () => ({ state: meant.state }),
  }).then(
    (outcome) => logOutcome(phone, outcome, meant.state),
    async (error: unknown) => {
      // Meta acted; the answer goes back all the same. The intent stays unresolved (or its lease
      // ends with the invocation), and the reconciler records Meta's truth within minutes.
      logger.error("Meta acted but the state write failed: left to the reconciler", {
        phoneNumberId: phone.phoneNumberId,
        ...storageFailure(error, { phoneNumberId: phone.phoneNumberId }),
      });
      await settleLease(() => releaseLease(lease, "unresolved"), phone);
    },
  );
  // Meta's answer goes back before the invocation's end even if the store hangs: the write (and
  // its lease) are then left to end with the invocation, and the reconciler records Meta's state.
  if (!(await settledBefore(recording, request.deadline))) {
    logger.error("state write still running at the deadline: left to the reconciler", {
      phoneNumberId: phone.phoneNumberId,
    });
  }
  return answer;
}

/** Ending a lease never fails the request: if it cannot be ended, it lapses with the invocation. */
async function settleLease(end: () => Promise<boolean>, phone: PhoneRecord): Promise<void> {
  try {
    await end();
  } catch (error) {
    logger.warn("intent not settled; it lapses with the invocation", {
      phoneNumberId: phone.phoneNumberId,
      errorName: (error as Error)?.name,
    });
  }
}

/** Meta answered with something we cannot read as the expected shape: pass it on, record nothing. */
function unexpectedShape(phone: PhoneRecord, edge: string): void {
  logger.warn("Meta success answer had an unexpected shape; state not recorded", {
    phoneNumberId: phone.phoneNumberId,
    edge,
  });
}

export async function getUsername(request: UsernameRequest): Promise<GraphAnswer> {
  const phone = await ownedPhone(request);
  await enforceTenantMetaLimit(request.caller.tenantId);
  const sentAt = Date.now();
  const answer = await graph(request, phone, { method: "GET", edge: "username" });
  if (answer.kind !== "success") return answer;
  const parsed = usernameResponseSchema.safeParse(answer.json);
  if (!parsed.success) {
    unexpectedShape(phone, "username");
    return answer;
  }
  const state: UsernameState = { username: parsed.data.username, status: parsed.data.status };
  try {
    // Only while no POST or DELETE holds the number: that one records the newer truth.
    const outcome = await applyUsernameChange({
      phoneNumberId: phone.phoneNumberId,
      source: "api",
      requestId: request.requestId,
      current: phone,
      readBeforeSent: phone,
      observation: { kind: "read", sentAt, receivedAt: Date.now() },
      onlyWhenFree: true,
      decide: () => ({ state }),
    });
    logOutcome(phone, outcome, state);
  } catch (error) {
    // A read records nothing Meta did: the answer is still right, the record catches up later.
    logger.warn("username read not recorded", {
      phoneNumberId: phone.phoneNumberId,
      ...storageFailure(error, { phoneNumberId: phone.phoneNumberId }),
    });
  }
  return answer;
}

export async function getUsernameSuggestions(request: UsernameRequest): Promise<GraphAnswer> {
  const phone = await ownedPhone(request);
  await enforceTenantMetaLimit(request.caller.tenantId);
  return graph(request, phone, { method: "GET", edge: "username_suggestions" });
}

export async function claimUsername(request: UsernameRequest, body: ClaimUsernameBody): Promise<GraphAnswer> {
  const phone = await ownedPhone(request);
  await enforceTenantMetaLimit(request.caller.tenantId);
  // Only the two documented fields are ever forwarded.
  const forwarded: ClaimUsernameBody = { username: body.username };
  if (body.transfer_action) forwarded.transfer_action = body.transfer_action;
  return changeThroughMeta(
    request,
    phone,
    "claim",
    body.username,
    () => graph(request, phone, { method: "POST", edge: "username", body: forwarded }),
    (answer) => {
      if (answer.kind !== "success") return "nothing";
      const parsed = claimResponseSchema.safeParse(answer.json);
      return parsed.success
        ? { state: { username: body.username, status: parsed.data.status } }
        : "unreadable";
    },
  );
}

export async function deleteUsername(request: UsernameRequest): Promise<GraphAnswer> {
  const phone = await ownedPhone(request);
  await enforceTenantMetaLimit(request.caller.tenantId);
  return changeThroughMeta(
    request,
    phone,
    "delete",
    undefined,
    () => graph(request, phone, { method: "DELETE", edge: "username" }),
    (answer) => {
      if (answer.kind !== "success") return "nothing";
      const parsed = deleteResponseSchema.safeParse(answer.json);
      if (!parsed.success) return "unreadable";
      return parsed.data.success ? { state: deletedState } : "nothing";
    },
  );
}
