/**
 * The four username operations (docs/spec.md, "The username API", "Recorded state"): find the
 * caller's phone number, call Meta with its token, record what Meta's answer means for the stored
 * state. A Meta refusal changes nothing.
 *
 * POST and DELETE change the number at Meta, so they go through the one workflow of changes made
 * through Meta (through-meta.ts): one at a time per number, in arrival order, each recorded before
 * the next starts. Meta's answer is always returned, even when it could not be recorded: the turn
 * then stays unresolved and the reconciler records Meta's truth (docs/reliability.md). All four
 * count against the tenant's Meta call limit once the number is known to be theirs, before Meta
 * is called.
 */
import type { Caller } from "../auth/authenticate.ts";
import { ownedAlias, ownedNumber } from "../auth/owned-number.ts";
import { decryptToken } from "../crypto/token-cipher.ts";
import { GraphError, graphErrors } from "../errors/graph-error.ts";
import { callGraph, type GraphAnswer, type GraphCall } from "../graph/client.ts";
import { logger } from "../logger.ts";
import { enforceTenantMetaLimit } from "../rate-limit/tenant-meta-limit.ts";
import { commitUsernameChange } from "../store/state-committer.ts";
import { storageFailure } from "../store/store-errors.ts";
import type { PhoneRecord } from "../username-state/records.ts";
import { deletedState, type UsernameState } from "../username-state/state.ts";
import {
  type ClaimUsernameBody,
  claimResponseSchema,
  deleteResponseSchema,
  usernameResponseSchema,
} from "../validation/username-request.ts";
import { type AnswerMeaning, changeThroughMeta } from "./through-meta.ts";

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

/** Graph's code for a phone number the caller may not use (unknown or another tenant's). */
const NOT_ACCESSIBLE_CODE = 33;

/** Meta's budget a POST or DELETE keeps at least: its wait for the number's turn ends this much before the deadline. */
const MIN_META_BUDGET_MS = 5_000;

/**
 * The caller's phone number (GETs). Unknown and foreign numbers are the same error, so a tenant
 * cannot learn which ids exist, and Meta is never called for them.
 */
async function ownedPhone(request: UsernameRequest): Promise<PhoneRecord> {
  const phone = await ownedNumber(request.caller.tenantId, request.phoneNumberId, {
    ...(request.prefetchedPhone === undefined ? {} : { prefetched: request.prefetchedPhone }),
  });
  if (!phone) throw graphErrors.phoneNumberNotAccessible(request.phoneNumberId);
  return phone;
}

/**
 * The phone number id a path's id stands for when it is no phone number id: the number whose
 * WhatsApp Account id it is (docs/spec.md, "Meta's account split"). Asked for unknown and
 * foreign ids alike, so neither answers faster.
 */
async function aliasOf(request: UsernameRequest): Promise<UsernameRequest | undefined> {
  const aliased = await ownedAlias(request.caller.tenantId, request.phoneNumberId);
  if (!aliased) return undefined;
  const { prefetchedPhone: _read, ...rest } = request;
  return { ...rest, phoneNumberId: aliased };
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

/** Meta answered with something we cannot read as the expected shape: pass it on, record nothing. */
function unexpectedShape(phone: PhoneRecord, edge: string): void {
  logger.warn("Meta success answer had an unexpected shape; state not recorded", {
    phoneNumberId: phone.phoneNumberId,
    edge,
  });
}

/**
 * A POST or DELETE through the one workflow (through-meta.ts): the number's turn (ownership and
 * the tenant's Meta limit checked with it), Meta's call, the recording that ends the turn; Meta's
 * answer goes back whatever the recording did.
 */
async function changeUsername(
  request: UsernameRequest,
  operation: "claim" | "delete",
  username: string | undefined,
  call: (phone: PhoneRecord) => Promise<GraphAnswer>,
  success: (answer: Extract<GraphAnswer, { kind: "success" }>) => AnswerMeaning,
): Promise<GraphAnswer> {
  // A number read with the API key and not there (or another tenant's) is refused at once,
  // unless the path named it by its WhatsApp Account id.
  const prefetched = request.prefetchedPhone;
  if (prefetched === null || (prefetched && prefetched.tenantId !== request.caller.tenantId)) {
    const aliased = await aliasOf(request);
    if (!aliased) throw graphErrors.phoneNumberNotAccessible(request.phoneNumberId);
    return changeUsername(aliased, operation, username, call, success);
  }
  const through = changeThroughMeta({
    phoneNumberId: request.phoneNumberId,
    owner: request.requestId,
    operation,
    ...(username ? { username } : {}),
    leaseUntil: request.invocationEnd ?? request.deadline,
    waitUntil: request.deadline - MIN_META_BUDGET_MS,
    tenantId: request.caller.tenantId,
    checkOwner: true,
    countMetaCall: true,
    request: { operation, ...(username ? { username } : {}), keyId: request.caller.keyId },
    requestedBy: request.caller.keyId,
    source: "api",
    requestId: request.requestId,
    ...(prefetched ? { prefetched } : {}),
    call,
    kind: "write",
    deadline: request.deadline,
    meaning: (answer) => {
      // A refusal (4xx) changed nothing; a 5xx may hide a change.
      if (answer.kind !== "success")
        return answer.status < 500 ? { refused: true } : { unknown: `HTTP ${answer.status}` };
      return success(answer);
    },
  });
  const result = await through.catch(async (error: unknown) => {
    // Not this tenant's phone number id: maybe its WhatsApp Account id (never for a number read
    // with the key, which was looked up above).
    if (!(error instanceof GraphError) || error.body.code !== NOT_ACCESSIBLE_CODE || prefetched) throw error;
    const aliased = await aliasOf(request);
    if (!aliased) throw error;
    return { aliased };
  });
  if ("aliased" in result) return changeUsername(result.aliased, operation, username, call, success);
  if ("busy" in result && result.busy) throw graphErrors.phoneNumberBusy();
  if (!("answer" in result) || !result.answer)
    throw graphErrors.phoneNumberNotAccessible(request.phoneNumberId);
  return result.answer;
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
    await commitUsernameChange({
      phoneNumberId: phone.phoneNumberId,
      record: phone,
      onlyWhenFree: true,
      changes: [
        {
          kind: "answer",
          source: "api",
          state,
          observation: { kind: "read", sentAt, receivedAt: Date.now() },
          readBeforeSent: phone.version,
          requestId: request.requestId,
          requestedBy: request.caller.keyId,
        },
      ],
    });
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
  // Only the two documented fields are ever forwarded.
  const forwarded: ClaimUsernameBody = { username: body.username };
  if (body.transfer_action) forwarded.transfer_action = body.transfer_action;
  return changeUsername(
    request,
    "claim",
    body.username,
    (phone) => graph(request, phone, { method: "POST", edge: "username", body: forwarded }),
    (answer) => {
      const parsed = claimResponseSchema.safeParse(answer.json);
      return parsed.success
        ? { state: { username: body.username, status: parsed.data.status } }
        : { unknown: "unexpected answer shape" };
    },
  );
}

export async function deleteUsername(request: UsernameRequest): Promise<GraphAnswer> {
  return changeUsername(
    request,
    "delete",
    undefined,
    (phone) => graph(request, phone, { method: "DELETE", edge: "username" }),
    (answer) => {
      const parsed = deleteResponseSchema.safeParse(answer.json);
      if (!parsed.success) return { unknown: "unexpected answer shape" };
      return parsed.data.success ? { state: deletedState } : { refused: true };
    },
  );
}
