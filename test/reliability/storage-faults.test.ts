/**
 * DynamoDB throttled or unavailable, injected below the SDK's retry middleware on a client that
 * otherwise talks to DynamoDB Local: the SDK retries and the request succeeds; a fault that
 * outlasts the retries before Meta is called is 503 code 2 (Meta never called); after Meta acted,
 * Meta's answer is returned and the number's intent stays unresolved for the reconciler
 * (test/reliability/reconciler.test.ts); no fault ever leaves a half-written change (version =
 * number of history events, newest event = state); a webhook whose storage fails is answered
 * 5xx and its redelivery does the work exactly once.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { setDynamoClient } from "../../functions/core/store/client.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { getPhone } from "../../functions/core/store/phones.ts";
import type { Answer } from "../support/lambda.ts";
import { type FaultRule, injectStorageFaults, storageError, writeKind } from "../support/storage-faults.ts";
import { callUsernameApi, type Operation } from "../support/username-client.ts";
import { configureWebhookSecrets, postEvents, webhookEvent } from "../support/webhook-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";
import { expectConsistent, idempotencyItems } from "./helpers/store-snapshot.ts";

const world = useWorld();
beforeAll(configureWebhookSecrets);
afterEach(() => setDynamoClient(undefined));

const FAULTS = [
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "ServiceUnavailable",
] as const;

let counter = 0;
const uniqueName = () => `fault_${++counter}_${uniqueDigits(6)}`;

async function owner(): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const tenant = await seedTenant();
  return { tenant, phone: await seedPhone(world, tenant) };
}

function call(
  operation: Operation,
  who: { tenant: SeededTenant; phone: SeededPhone },
  headers: Record<string, string> = {},
): Promise<Answer> {
  return callUsernameApi(operation, who.phone.phoneNumberId, {
    apiKey: who.tenant.apiKey,
    headers,
    ...(operation === "claim" ? { body: { username: uniqueName() } } : {}),
  });
}

/** Runs `action` with faults injected, restoring the real client afterwards. */
async function withFaults<T>(rule: FaultRule, maxAttempts: number, action: () => Promise<T>) {
  const restore = injectStorageFaults(rule, maxAttempts);
  try {
    const result = await action();
    return { result, attempts: Object.fromEntries(restore.attempts) };
  } finally {
    restore();
  }
}

function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.json.error).toMatchObject({ code: 2, is_transient: true, type: "OAuthException" });
  expect(answer.headers["cache-control"]).toBe("no-store");
}

describe("a passing fault: the SDK retries and the request succeeds", () => {
  it.each(FAULTS)("%s on the first attempt of every call of a POST: 200, recorded once", async (fault) => {
    const who = await owner();
    // Every odd attempt of every command fails once: each call needs exactly one retry.
    const { result, attempts } = await withFaults(
      (_, n) => (n % 2 === 1 ? storageError(fault) : undefined),
      3,
      () => call("claim", who),
    );
    expect(result.status).toBe(200);
    // API key + phone read (one BatchGetItem); the number's turn (ownership, the write counter and
    // the lease in one transaction); the state transaction: each tried twice.
    expect(attempts).toEqual({ BatchGetItemCommand: 2, TransactWriteItemsCommand: 4 });
    expect(world.sandbox.requests()).toHaveLength(1);
    const { history } = await expectConsistent(who.phone.phoneNumberId);
    expect(history).toHaveLength(1);
  });

  it("a webhook delivery under throttling is applied once", async () => {
    const who = await owner();
    const { result } = await withFaults(
      (_, n) => (n % 2 === 1 ? storageError("ThrottlingException") : undefined),
      3,
      () => postEvents([webhookEvent(who.phone, 1_000, "approved", uniqueName())]),
    );
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ applied: 1, failed: 0 });
    expect((await expectConsistent(who.phone.phoneNumberId)).history).toHaveLength(1);
  });
});

describe("a lasting fault: 503 code 2 after the SDK's retries, nothing half-written", () => {
  const stages: Array<{
    stage: string;
    matches: (command: string, input: Record<string, unknown>) => boolean;
  }> = [
    // A key the container has not cached is read with the phone number, in one BatchGetItem.
    { stage: "the API key and phone number read", matches: (command) => command === "BatchGetItemCommand" },
    // Ownership, the write counter and the lease on an empty line: one transaction.
    {
      stage: "the number's turn (ownership, write counter, lease)",
      matches: (command, input) => writeKind(command, input) === "turn",
    },
  ];
  const cases = stages.map((stage, i) => ({ fault: FAULTS[i % FAULTS.length] as string, ...stage }));

  it.each(cases)("$fault at $stage: 503 before Meta is called, state and history untouched", async (c) => {
    const who = await owner();
    expect((await call("claim", who)).status).toBe(200);
    world.sandbox.clearRequests();
    const before = await storedState(who.phone.phoneNumberId);

    let faulted = 0;
    const { result } = await withFaults(
      // Both of the SDK's attempts of that one call fail; calls after it pass.
      (command, _, input) =>
        c.matches(command, input) && ++faulted <= 2 ? storageError(c.fault) : undefined,
      2,
      () => call("claim", who),
    );

    expectUnavailable(result);
    // The SDK did retry before giving up.
    expect(faulted).toBe(2);
    expect(world.sandbox.requests()).toHaveLength(0);
    expect(await storedState(who.phone.phoneNumberId)).toEqual(before);
    await expectConsistent(who.phone.phoneNumberId);
  });

  it.each(FAULTS)(
    "%s at the state transaction after Meta acted: Meta's answer, nothing half-written",
    async (fault) => {
      const who = await owner();
      expect((await call("claim", who)).status).toBe(200);
      world.sandbox.clearRequests();
      const before = await storedState(who.phone.phoneNumberId);
      let stateWrites = 0;
      const { result } = await withFaults(
        (command, _, input) =>
          writeKind(command, input) === "state" && ++stateWrites ? storageError(fault) : undefined,
        2,
        () => call("claim", who),
      );
      expect(result.status).toBe(200);
      expect(result.json).toEqual({ status: "reserved" });
      expect(stateWrites).toBe(2);
      expect(world.sandbox.requests()).toHaveLength(1);
      // The state and history are untouched; the request is recorded as in flight (its outcome unknown).
      expect(await storedState(who.phone.phoneNumberId)).toEqual(before);
      expect(await getPhone(who.phone.phoneNumberId, true)).toMatchObject({ pendingOperation: "claim" });
      expect(await getIntent(who.phone.phoneNumberId)).toMatchObject({ unresolved: true });
    },
  );

  it("when the state write failed after Meta acted, the next GET records Meta's answer", async () => {
    const who = await owner();
    const { result } = await withFaults(
      (command, _, input) =>
        writeKind(command, input) === "state" ? storageError("ServiceUnavailable") : undefined,
      1,
      () => call("claim", who),
    );
    expect(result.status).toBe(200);
    expect((await storedState(who.phone.phoneNumberId)).history).toEqual([]);

    const read = await call("get", who);
    expect(read.status).toBe(200);
    const { phone } = await expectConsistent(who.phone.phoneNumberId);
    expect(phone?.username).toBe(world.sandbox.getPhone(who.phone.phoneNumberId)?.username);
  });

  it("with an Idempotency-Key, a 503 before Meta frees the key and the retry records the change once", async () => {
    const who = await owner();
    const headers = { "idempotency-key": `storage-${uniqueDigits(8)}` };
    const body = { username: uniqueName() };
    const claimWithKey = () =>
      callUsernameApi("claim", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey, body, headers });

    // The number's turn (ownership, write counter and lease in one transaction) fails.
    const { result } = await withFaults(
      (command, _, input) =>
        writeKind(command, input) === "turn" ? storageError("ThrottlingException") : undefined,
      1,
      claimWithKey,
    );
    expectUnavailable(result);
    expect(world.sandbox.requests()).toHaveLength(0);
    expect(await idempotencyItems()).toEqual([]);

    const retry = await claimWithKey();
    expect(retry.status).toBe(200);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    const replay = await claimWithKey();
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    const { history } = await expectConsistent(who.phone.phoneNumberId);
    expect(history.map((e) => e.username)).toEqual([body.username]);
  });

  it("with an Idempotency-Key, a failed state write after Meta acted keeps Meta's answer for the retry", async () => {
    const who = await owner();
    const headers = { "idempotency-key": `storage-${uniqueDigits(8)}` };
    const body = { username: uniqueName() };
    const claimWithKey = () =>
      callUsernameApi("claim", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey, body, headers });
    const { result } = await withFaults(
      (command, _, input) =>
        writeKind(command, input) === "state" ? storageError("ThrottlingException") : undefined,
      1,
      claimWithKey,
    );
    expect(result.status).toBe(200);
    const replay = await claimWithKey();
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.body).toBe(result.body);
    // Meta was called once; the reconciler records the change (reconciler.test.ts).
    expect(world.sandbox.requests()).toHaveLength(1);
  });

  it("storage failing at random under concurrent writes: every number stays consistent", async () => {
    const tenant = await seedTenant();
    const phones = await Promise.all(Array.from({ length: 6 }, () => seedPhone(world, tenant)));
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const operations = Array.from({ length: 36 }, (_, i) => ({
      phone: phones[i % phones.length] as SeededPhone,
      operation: (i % 3 === 2 ? "delete" : "claim") as Operation,
    }));

    const { result: answers } = await withFaults(
      (command) =>
        ["TransactWriteItemsCommand", "BatchGetItemCommand", "GetItemCommand", "UpdateItemCommand"].includes(
          command,
        ) && random() < 0.25
          ? storageError(FAULTS[Math.floor(random() * FAULTS.length)] as string)
          : undefined,
      1,
      () =>
        Promise.all(
          operations.map(({ phone, operation }) =>
            // Short invocations: a lease whose ending failed lapses within seconds.
            callUsernameApi(operation, phone.phoneNumberId, {
              apiKey: tenant.apiKey,
              remainingMs: 8_000,
              ...(operation === "claim" ? { body: { username: uniqueName() } } : {}),
            }),
          ),
        ),
    );

    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
    const failedRequestIds = new Set(unavailable.map((a) => a.json.error.fbtrace_id as string));
    for (const [i, phone] of phones.entries()) {
      const { history } = await expectConsistent(phone.phoneNumberId);
      // Every claim recorded is one Meta accepted (200), at most once; no refused one is.
      const claimed = answers.filter(
        (a, j) => j % phones.length === i && operations[j]?.operation === "claim" && a.status === 200,
      ).length;
      expect(history.filter((e) => e.status === "reserved").length).toBeLessThanOrEqual(claimed);
      expect(history.filter((e) => failedRequestIds.has(e.requestId ?? ""))).toEqual([]);
    }
    // Once every lease has ended, one reconciler run makes every number equal Meta.
    const intents = await Promise.all(phones.map((phone) => getIntent(phone.phoneNumberId)));
    const lastLeaseEnd = Math.max(0, ...intents.map((intent) => intent?.leaseUntil ?? 0));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastLeaseEnd + 1 - Date.now())));
    await runReconciler({ deadline: Date.now() + 60_000 });
    for (const phone of phones) {
      const { phone: stored } = await expectConsistent(phone.phoneNumberId);
      const meta = world.sandbox.getPhone(phone.phoneNumberId);
      expect({ username: stored?.username, status: stored?.status }).toEqual({
        username: meta?.username,
        status: meta?.status,
      });
    }
  });
});

describe("webhook storage failure: 5xx so Meta redelivers, then exactly once", () => {
  it.each(FAULTS)("%s on every storage call: 5xx, nothing stored; redeliveries apply once", async (fault) => {
    const who = await owner();
    const events = [webhookEvent(who.phone, 2_000, "reserved", uniqueName())];
    const { result } = await withFaults(
      () => storageError(fault),
      2,
      () => postEvents(events),
    );
    expect(result.status).toBeGreaterThanOrEqual(500);
    expect(result.json.error).toMatchObject({ is_transient: true });
    expect((await storedState(who.phone.phoneNumberId)).history).toEqual([]);

    const [redelivery, duplicate] = [await postEvents(events), await postEvents(events)];
    expect(redelivery.json).toMatchObject({ applied: 1, failed: 0 });
    expect(duplicate.json).toMatchObject({ applied: 0 });
    expect((await expectConsistent(who.phone.phoneNumberId)).history).toHaveLength(1);
  });
});
