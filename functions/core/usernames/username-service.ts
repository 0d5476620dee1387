/**
 * The four username operations (docs/spec.md, "The username API", "Recorded state"): find the caller's phone number, call Meta with
 * its token, record what Meta's success means for the stored state. A Meta error changes nothing.
 * POST and DELETE count against the tenant's write limit once the number is known to be theirs,
 * before Meta is called (so a refused request never reaches Meta).
 */
import type { Caller } from "../auth/authenticate.ts";
import { decryptToken } from "../crypto/token-cipher.ts";
import { callGraph, type GraphAnswer, type GraphCall } from "../graph/client.ts";
import { graphErrors } from "../http/graph-error.ts";
import { logger } from "../logger.ts";
import { enforceTenantWriteLimit } from "../rate-limit/tenant-write-limit.ts";
import { getPhone, type PhoneRecord } from "../store/phones.ts";
import { applyUsernameChange } from "../store/username-changes.ts";
import {
  type ClaimUsernameBody,
  claimResponseSchema,
  deleteResponseSchema,
  usernameResponseSchema,
} from "../validation/username-request.ts";
import { deletedState, type UsernameState } from "./state.ts";

export interface UsernameRequest {
  caller: Caller;
  version: string;
  phoneNumberId: string;
  requestId: string;
  deadline: number;
  /** The phone number as already read with the API key (null: read, not there); else read here. */
  prefetchedPhone?: PhoneRecord | null;
}

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

async function record(request: UsernameRequest, phone: PhoneRecord, state: UsernameState): Promise<void> {
  const outcome = await applyUsernameChange({
    phoneNumberId: phone.phoneNumberId,
    source: "api",
    requestId: request.requestId,
    current: phone,
    decide: () => ({ state, stateEpoch: Math.floor(Date.now() / 1000) }),
  });
  if (outcome.applied) {
    logger.info("username state recorded", {
      phoneNumberId: phone.phoneNumberId,
      status: state.status,
      version: outcome.phone.version,
      ...(outcome.transferredFrom ? { transferredFrom: outcome.transferredFrom } : {}),
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
  const answer = await graph(request, phone, { method: "GET", edge: "username" });
  if (answer.kind === "success") {
    const parsed = usernameResponseSchema.safeParse(answer.json);
    if (parsed.success)
      await record(request, phone, { username: parsed.data.username, status: parsed.data.status });
    else unexpectedShape(phone, "username");
  }
  return answer;
}

export async function getUsernameSuggestions(request: UsernameRequest): Promise<GraphAnswer> {
  const phone = await ownedPhone(request);
  return graph(request, phone, { method: "GET", edge: "username_suggestions" });
}

export async function claimUsername(request: UsernameRequest, body: ClaimUsernameBody): Promise<GraphAnswer> {
  const phone = await ownedPhone(request);
  await enforceTenantWriteLimit(request.caller.tenantId);
  // Only the two documented fields are ever forwarded.
  const forwarded: ClaimUsernameBody = { username: body.username };
  if (body.transfer_action) forwarded.transfer_action = body.transfer_action;
  const answer = await graph(request, phone, { method: "POST", edge: "username", body: forwarded });
  if (answer.kind === "success") {
    const parsed = claimResponseSchema.safeParse(answer.json);
    if (parsed.success) await record(request, phone, { username: body.username, status: parsed.data.status });
    else unexpectedShape(phone, "username");
  }
  return answer;
}

export async function deleteUsername(request: UsernameRequest): Promise<GraphAnswer> {
  const phone = await ownedPhone(request);
  await enforceTenantWriteLimit(request.caller.tenantId);
  const answer = await graph(request, phone, { method: "DELETE", edge: "username" });
  if (answer.kind === "success") {
    const parsed = deleteResponseSchema.safeParse(answer.json);
    if (!parsed.success) unexpectedShape(phone, "username");
    else if (parsed.data.success) await record(request, phone, deletedState);
  }
  return answer;
}
