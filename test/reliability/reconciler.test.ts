/**
 * No change is lost after Meta acted (docs/reliability.md): at every point where the process can
 * stop after Meta's answer, the number's intent stays open, and after one reconciler run the
 * recorded state and history equal Meta's (`source: reconcile`). Also drift repair: a number whose
 * record differs from Meta is found by `reconcileNumber` and by the scheduled sweep.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { logger } from "../../functions/core/logger.ts";
import { reconcileNumber, runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { setDynamoClient } from "../../functions/core/store/client.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { takeTurn as acquireLease } from "../../functions/core/usernames/turns.ts";
import { handler as reconcilerHandler } from "../../functions/reconcile/reconciler.ts";
import { lambdaContext } from "../support/lambda.ts";
import { injectStorageFaults, storageError, writeKind } from "../support/storage-faults.ts";
import { callUsernameApi } from "../support/username-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";
import { expectConsistent } from "./helpers/store-snapshot.ts";

const world = useWorld();
afterEach(() => {
  setDynamoClient(undefined);
  vi.restoreAllMocks();
  delete process.env.DRIFT_SWEEP_INTERVAL_HOURS;
});

let counter = 0;
const uniqueName = () => `lost_${++counter}_${uniqueDigits(6)}`;

async function owner(): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const tenant = await seedTenant();
  return { tenant, phone: await seedPhone(world, tenant) };
}

/** One reconciler run, as the scheduled Lambda does it. */
async function runOnce(now?: number) {
  return runReconciler({ deadline: Date.now() + 60_000, ...(now ? { now } : {}) });
}

/** After the reconciler: the record and the newest history event equal what the sandbox's Meta holds. */
async function expectEqualsMeta(phone: SeededPhone) {
  const meta = world.sandbox.getPhone(phone.phoneNumberId);
  const { phone: stored, history } = await expectConsistent(phone.phoneNumberId);
  expect({ username: stored?.username, status: stored?.status }).toEqual({
    username: meta?.username,
    status: meta?.status,
  });
  const intent = await getIntent(phone.phoneNumberId);
  expect(intent?.unresolved).toBeUndefined();
  expect(intent?.leaseOwner).toBeUndefined();
  return history;
}

describe("the state write fails after Meta acted", () => {
  it.each(["ServiceUnavailable", "ThrottlingException"])(
    "%s on every state transaction: Meta's answer is returned, the reconciler records it",
    async (fault) => {
      const who = await owner();
      const name = uniqueName();
      const restore = injectStorageFaults((command, _, input) =>
        writeKind(command, input) === "state" ? storageError(fault) : undefined,
      );
      let answer: Awaited<ReturnType<typeof callUsernameApi>>;
      try {
        answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
          apiKey: who.tenant.apiKey,
          body: { username: name },
        });
      } finally {
        restore();
      }
      // Meta acted: its answer, not a 5xx.
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ status: "reserved" });
      expect((await expectConsistent(who.phone.phoneNumberId)).history).toEqual([]);
      expect(await getIntent(who.phone.phoneNumberId)).toMatchObject({ unresolved: true });

      const run = await runOnce();
      expect(run.outcomes).toContainEqual(
        expect.objectContaining({ phoneNumberId: who.phone.phoneNumberId, result: "recorded" }),
      );
      const history = await expectEqualsMeta(who.phone);
      expect(history).toEqual([
        expect.objectContaining({ username: name, status: "reserved", source: "reconcile" }),
      ]);
      // One GET by the reconciler, after the one POST.
      expect(world.sandbox.requests().map((r) => r.method)).toEqual(["POST", "GET"]);
    },
  );

  it("also when ending the intent fails: the lease lapses with the invocation and is reconciled then", async () => {
    const who = await owner();
    // The turn (one transaction before Meta) passes; the state transaction and every later
    // write (ending the turn) fail.
    let turnTaken = false;
    const restoreLate = injectStorageFaults((command, _, input) => {
      if (!turnTaken && writeKind(command, input) === "turn") {
        turnTaken = true;
        return undefined;
      }
      if (turnTaken && command !== "GetItemCommand" && command !== "BatchGetItemCommand")
        return storageError("ServiceUnavailable");
      return undefined;
    });
    let answer: Awaited<ReturnType<typeof callUsernameApi>>;
    try {
      answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body: { username: uniqueName() },
        remainingMs: 3_000,
      });
    } finally {
      restoreLate();
    }
    expect(answer.status).toBe(200);
    const intent = await getIntent(who.phone.phoneNumberId);
    expect(intent?.leaseOwner).toBeDefined();
    // Not due before the invocation's end; due after it.
    expect((await runOnce()).outcomes.map((o) => o.phoneNumberId)).not.toContain(who.phone.phoneNumberId);
    const after = (intent?.leaseUntil ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, after - Date.now())));
    expect((await runOnce()).outcomes.map((o) => o.phoneNumberId)).toContain(who.phone.phoneNumberId);
    const history = await expectEqualsMeta(who.phone);
    expect(history.at(-1)).toMatchObject({ source: "reconcile" });
  });
});

describe("the invocation stops after Meta acted", () => {
  it("cut at its deadline while Meta is slow: 5xx, then the reconciler records what Meta did", async () => {
    const who = await owner();
    const name = uniqueName();
    world.sandbox.injectFault({ mode: "slow", delayMs: 2_500, path: who.phone.phoneNumberId });
    const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: name },
      remainingMs: 2_000,
    });
    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(answer.json.error).toMatchObject({ code: 2, is_transient: true });
    // Meta makes the change once its slow answer is due, long after our client gave up.
    await vi.waitFor(() => expect(world.sandbox.getPhone(who.phone.phoneNumberId)?.username).toBe(name), {
      timeout: 5_000,
    });
    await vi.waitFor(
      async () => expect((await getIntent(who.phone.phoneNumberId))?.leaseOwner).toBeUndefined(),
      {
        timeout: 5_000,
      },
    );

    await runOnce();
    const history = await expectEqualsMeta(who.phone);
    expect(history).toEqual([expect.objectContaining({ username: name, source: "reconcile" })]);
  });

  it("died holding the lease: the next claim waits for the lease's end, takes over, and the reconciler settles it", async () => {
    const who = await owner();
    const before = uniqueName();
    // An invocation took the number's turn and died after Meta made the change.
    const dead = await acquireLease({
      phoneNumberId: who.phone.phoneNumberId,
      owner: "dead-invocation",
      operation: "claim",
      username: before,
      leaseUntil: Date.now() + 1_000,
      waitUntil: Date.now() + 1_000,
    });
    expect(dead).toBeDefined();
    world.sandbox.updatePhone(who.phone.phoneNumberId, { username: before, status: "reserved" });

    // Nothing is due while the lease may still be alive.
    expect((await runOnce()).outcomes.map((o) => o.phoneNumberId)).not.toContain(who.phone.phoneNumberId);
    const later = uniqueName();
    const claim = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: later },
    });
    expect(claim.status).toBe(200);
    // The claim recorded its own (newer, complete) answer: that settles the dead one's question too.
    const history = await expectEqualsMeta(who.phone);
    expect(history.map((e) => e.username)).toEqual([later]);
  });

  it("died holding the lease with nobody after it: due at the lease's end, reconciled", async () => {
    const who = await owner();
    const name = uniqueName();
    await acquireLease({
      phoneNumberId: who.phone.phoneNumberId,
      owner: "dead-invocation",
      operation: "claim",
      username: name,
      leaseUntil: Date.now() + 300,
      waitUntil: Date.now() + 300,
    });
    world.sandbox.updatePhone(who.phone.phoneNumberId, { username: name, status: "reserved" });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const logged = vi.spyOn(logger, "info");

    const { outcomes } = await runOnce();
    expect(outcomes).toContainEqual(
      expect.objectContaining({ phoneNumberId: who.phone.phoneNumberId, result: "recorded" }),
    );
    expect(logged).toHaveBeenCalledWith(
      "unresolved intent reconciled",
      expect.objectContaining({ metric: "IntentReconciled", phoneNumberId: who.phone.phoneNumberId }),
    );
    const history = await expectEqualsMeta(who.phone);
    expect(history).toEqual([expect.objectContaining({ username: name, source: "reconcile" })]);
  });

  it("Meta's answer unreadable: the reconciler confirms what Meta really did (here: nothing)", async () => {
    const who = await owner();
    world.sandbox.injectFault({ mode: "garbage", path: who.phone.phoneNumberId });
    const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: uniqueName() },
    });
    expect(answer.status).toBe(502);
    expect(await getIntent(who.phone.phoneNumberId)).toMatchObject({ unresolved: true });
    const { outcomes } = await runOnce();
    expect(outcomes).toContainEqual(
      expect.objectContaining({ phoneNumberId: who.phone.phoneNumberId, result: "confirmed" }),
    );
    expect(await expectEqualsMeta(who.phone)).toEqual([]);
  });

  it("Meta unreachable for the reconciler: the number stays due, later, and is settled when Meta answers", async () => {
    const who = await owner();
    world.sandbox.injectFault({ mode: "garbage", path: who.phone.phoneNumberId });
    await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: uniqueName() },
    });
    world.sandbox.injectFault({ mode: "status", status: 500, path: who.phone.phoneNumberId, count: 3 });
    const failed = await runOnce();
    expect(failed.outcomes).toContainEqual(
      expect.objectContaining({ phoneNumberId: who.phone.phoneNumberId, result: "failed" }),
    );
    const intent = await getIntent(who.phone.phoneNumberId);
    expect(intent).toMatchObject({ unresolved: true, reconcileAttempts: 1 });
    // Backed off: not due now, due in a minute.
    expect((await runOnce()).outcomes.map((o) => o.phoneNumberId)).not.toContain(who.phone.phoneNumberId);
    world.sandbox.clearFaults();
    await runOnce(Date.now() + 61_000);
    await expectEqualsMeta(who.phone);
  });
});

describe("drift repair", () => {
  it("reconcileNumber records Meta's state with source reconcile and logs DriftDetected", async () => {
    const who = await owner();
    const name = uniqueName();
    // Meta changed without telling us (a lost webhook).
    world.sandbox.updatePhone(who.phone.phoneNumberId, { username: name, status: "approved" });
    const warned = vi.spyOn(logger, "warn");

    const outcome = await reconcileNumber(who.phone.phoneNumberId);
    expect(outcome).toMatchObject({
      result: "recorded",
      drift: { recorded: {}, actual: { username: name, status: "approved" } },
    });
    expect(warned).toHaveBeenCalledWith(
      "recorded username state differed from Meta's",
      expect.objectContaining({ metric: "DriftDetected", phoneNumberId: who.phone.phoneNumberId }),
    );
    expect(await expectEqualsMeta(who.phone)).toEqual([
      expect.objectContaining({ source: "reconcile", username: name, status: "approved" }),
    ]);
    // Again: nothing differs, nothing recorded.
    expect(await reconcileNumber(who.phone.phoneNumberId)).toMatchObject({ result: "confirmed" });
    expect((await expectConsistent(who.phone.phoneNumberId)).history).toHaveLength(1);
  });

  it("the scheduled sweep visits every number once per interval, off unless configured", async () => {
    const tenant = await seedTenant();
    const phones = await Promise.all(Array.from({ length: 3 }, () => seedPhone(world, tenant)));
    for (const phone of phones)
      world.sandbox.updatePhone(phone.phoneNumberId, { username: uniqueName(), status: "approved" });

    const off = await reconcilerHandler({} as never, lambdaContext(60_000));
    expect(off).toMatchObject({ swept: 0 });

    process.env.DRIFT_SWEEP_INTERVAL_HOURS = "24";
    const first = await runOnce();
    expect(first.swept).toBeGreaterThanOrEqual(phones.length);
    expect(first.sweepFinished).toBe(true);
    for (const phone of phones) await expectEqualsMeta(phone);
    const second = await runOnce();
    expect(second.swept).toBe(0);
  });
});

describe("a line left by callers that died waiting (the process was killed)", () => {
  it("is not stuck: turns whose callers' waits have ended are given up at once", async () => {
    const who = await owner();
    const id = who.phone.phoneNumberId;
    const { dynamo } = await import("../../functions/core/store/client.ts");
    const { GetCommand, UpdateCommand } = await import("@aws-sdk/lib-dynamodb");
    const { keys } = await import("../../functions/core/store/keys.ts");
    const past = Date.now() - 1_000;
    // Ticket 1's turn ended; tickets 2–4 were waiting when the process died, their waits now over.
    await dynamo().send(
      new UpdateCommand({
        TableName: process.env.TABLE_NAME,
        Key: keys.intent(id),
        UpdateExpression:
          "SET nextTicket = :four, waiting = :waiting, lastTicket = :one, phoneNumberId = :id, #type = :type",
        ExpressionAttributeNames: { "#type": "type" },
        ExpressionAttributeValues: {
          ":four": 4,
          ":waiting": { "2": past, "3": past, "4": past },
          ":one": 1,
          ":id": id,
          ":type": "intent",
        },
      }),
    );
    // The claim may wait for its turn about 3 s (its deadline less Meta's 5 s): three turns
    // given up only after 5 s unclaimed each would make it give up (503); given up at once, it runs.
    const claim = await callUsernameApi("claim", id, {
      apiKey: who.tenant.apiKey,
      body: { username: uniqueName() },
      remainingMs: 9_000,
    });
    expect(claim.status, claim.body).toBe(200);
    const intent = await getIntent(id);
    expect(intent?.lastTicket).toBe(5);
    // The dead tickets are forgotten once passed: the line's item does not grow with them.
    await expect
      .poll(async () => {
        const { Item } = await dynamo().send(
          new GetCommand({ TableName: process.env.TABLE_NAME, Key: keys.intent(id) }),
        );
        return { abandoned: [...(Item?.abandoned ?? [])], waiting: Item?.waiting };
      })
      .toEqual({ abandoned: [], waiting: {} });
  });
});
