/**
 * A stage deployed before the line and the lease shared one item keeps working: its numbers'
 * lines are a `QUEUE` item (the tickets) beside an `INTENT` item without `nextTicket` (the lease,
 * the last turn over, an unresolved outcome). Items are written here exactly as that code wrote
 * them; the current code then claims, deletes and reconciles on them (docs/architecture.md, "Data").
 * The same for the drift sweep's place (`RECONCILER` / `SWEEP`) as the version before the sweep
 * paged from its cursor wrote it: no count of the pass's numbers, no lease.
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { removeNumber } from "../../functions/core/admin/numbers.ts";
import { runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { readSweepProgress } from "../../functions/core/store/drift-sweep.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { expectConsistent } from "../reliability/helpers/store-snapshot.ts";
import { useTestTable } from "../support/test-table.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { seedPhone, seedTenant, uniqueUsername, useWorld } from "../support/world.ts";

const world = useWorld();
afterEach(() => {
  delete process.env.DRIFT_SWEEP_INTERVAL_HOURS;
  delete process.env.RECONCILE_BATCH_SIZE;
  delete process.env.META_SYNC_RATE_PER_SECOND;
});

async function put(item: Record<string, unknown>): Promise<void> {
  await dynamo().send(new PutCommand({ TableName: tableName(), Item: item }));
}

/** The earlier layout's two items of a number's line. */
async function earlierLine(
  phoneNumberId: string,
  intent: Record<string, unknown>,
  queue: Record<string, unknown>,
): Promise<void> {
  await put({ ...keys.intent(phoneNumberId), type: "intent", phoneNumberId, ...intent });
  await put({ ...keys.intentQueue(phoneNumberId), type: "intentQueue", ...queue });
}

describe("numbers whose line the earlier layout wrote", () => {
  it("an idle line: claims and deletes run at once, their turns numbered after the last one over", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    await earlierLine(
      phone.phoneNumberId,
      { lastTicket: 7, endedAt: Date.now() - 60_000, lastTurnMs: 40 },
      { nextTicket: 9, abandoned: new Set([8, 9]), waiting: {} },
    );
    const name = uniqueUsername("layout");
    const claim = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: name },
    });
    expect(claim.status, claim.body).toBe(200);
    expect(await getIntent(phone.phoneNumberId)).toMatchObject({ lastTicket: 8, nextTicket: 8 });
    const removal = await callUsernameApi("delete", phone.phoneNumberId, { apiKey: tenant.apiKey });
    expect(removal.status, removal.body).toBe(200);
    expect(await getIntent(phone.phoneNumberId)).toMatchObject({ lastTicket: 9, nextTicket: 9 });
    const { history } = await expectConsistent(phone.phoneNumberId);
    expect(history.map((h) => [h.username, h.status])).toEqual([
      [name, "reserved"],
      [undefined, "deleted"],
    ]);
  });

  it("a lease its dead holder left: the next claim waits for its end, takes it over, and its own answer settles the number", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const name = uniqueUsername("layout");
    // The dead invocation reserved `name` at Meta and never recorded it.
    world.sandbox.updatePhone(phone.phoneNumberId, { username: name, status: "reserved" });
    const leaseUntil = Date.now() + 300;
    await earlierLine(
      phone.phoneNumberId,
      {
        lastTicket: 4,
        leaseOwner: "dead-invocation",
        leaseUntil,
        ticket: 5,
        operation: "claim",
        username: name,
        startedAt: Date.now() - 1_000,
        gsi3pk: "INTENT#DUE",
        gsi3sk: `${String(leaseUntil).padStart(15, "0")}#${phone.phoneNumberId}`,
      },
      { nextTicket: 5, waiting: {} },
    );
    const later = uniqueUsername("layout");
    const claim = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: later },
    });
    expect(claim.status, claim.body).toBe(200);
    // The claim's own answer is newer, complete truth: recorded, and the number's question settled.
    const { history } = await expectConsistent(phone.phoneNumberId);
    expect(history.map((h) => h.username)).toEqual([later]);
    expect((await getIntent(phone.phoneNumberId))?.lastTicket).toBe(6);
  });

  it("an unresolved number on the due index: the reconciler finds it and records Meta's state", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const name = uniqueUsername("layout");
    world.sandbox.updatePhone(phone.phoneNumberId, { username: name, status: "approved" });
    const since = Date.now() - 5_000;
    await earlierLine(
      phone.phoneNumberId,
      {
        lastTicket: 2,
        unresolved: true,
        unresolvedSince: since,
        gsi3pk: "INTENT#DUE",
        gsi3sk: `${String(since).padStart(15, "0")}#${phone.phoneNumberId}`,
      },
      { nextTicket: 2, waiting: {} },
    );
    const { outcomes } = await runReconciler({ deadline: Date.now() + 30_000 });
    expect(outcomes).toContainEqual(
      expect.objectContaining({ phoneNumberId: phone.phoneNumberId, result: "recorded" }),
    );
    const { history } = await expectConsistent(phone.phoneNumberId);
    expect(history).toEqual([
      expect.objectContaining({ username: name, status: "approved", source: "reconcile" }),
    ]);
    expect((await getIntent(phone.phoneNumberId))?.unresolved).toBeUndefined();
  });
});

describe("the drift sweep's place as the earlier version wrote it", () => {
  const HOUR = 3_600_000;
  const MINUTE = 60_000;

  /** Its own table (the sweep goes over every tenant of it): two tenants, 5 and 4 numbers. */
  async function twoTenants() {
    dynamo().destroy();
    await useTestTable();
    const ids = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(6, "0")}`);
    const a = ids("20100", 5);
    const b = ids("20200", 4);
    for (const phoneNumberId of a)
      await seedPhone(world, { tenantId: "legacy-a", apiKey: "", keyId: "" }, { phoneNumberId });
    for (const phoneNumberId of b)
      await seedPhone(world, { tenantId: "legacy-b", apiKey: "", keyId: "" }, { phoneNumberId });
    return { a, b };
  }

  /** The item exactly as the earlier `saveSweepProgress` put it. */
  const earlierSweep = (progress: Record<string, unknown>) =>
    dynamo().send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...keys.driftSweep, type: "driftSweep", ...progress },
      }),
    );

  /** Sorted: a run starts its numbers in order, several in flight, so Meta sees them in no fixed order. */
  const visitedAtMeta = () =>
    world.sandbox
      .requests()
      .filter((r) => r.method === "GET")
      .flatMap((r) => /^\/[^/]+\/(\d+)\/username(?:\?|$)/.exec(r.path)?.[1] ?? [])
      .sort();

  async function runAt(now: number) {
    world.sandbox.clearRequests();
    const summary = await runReconciler({ deadline: Date.now() + 60_000, now });
    return { summary, visited: visitedAtMeta() };
  }

  it("a pass under way: it goes on after the cursor (whose number is gone since), counts once, and ends", async () => {
    const { a, b } = await twoTenants();
    process.env.DRIFT_SWEEP_INTERVAL_HOURS = "24";
    process.env.RECONCILE_BATCH_SIZE = "2";
    process.env.META_SYNC_RATE_PER_SECOND = "1000";
    const now = Date.now();
    const startedAt = now - 3 * HOUR;
    await earlierSweep({
      nextStartAt: startedAt - 5 * MINUTE,
      startedAt,
      cursor: { tenantId: "legacy-a", phoneNumberId: a[2] },
    });
    await removeNumber(a[2] as string);

    const first = await runAt(now);
    expect(first.visited).toEqual(a.slice(3, 5));
    // Counted once: the 8 numbers there are, 2 of them before the cursor (looked at already).
    expect(first.summary.sweep).toMatchObject({ numbers: 8, visitedInPass: 4, behind: false });
    expect(await readSweepProgress()).toMatchObject({
      startedAt,
      cursor: { tenantId: "legacy-a", phoneNumberId: a[4] },
      visited: 4,
      numbers: 8,
    });
    const second = await runAt(now + MINUTE);
    const third = await runAt(now + 2 * MINUTE);
    expect([...second.visited, ...third.visited]).toEqual(b);
    const last = await runAt(now + 3 * MINUTE);
    expect(last.summary).toMatchObject({ swept: 0, sweepFinished: true });
    // The pass's own count of its numbers, for the next one; it starts 24 h after this one began.
    expect(await readSweepProgress()).toEqual({ nextStartAt: startedAt + 24 * HOUR, numbers: 8 });
  });

  it("between passes: not due before its time; then a pass over every number, counted once", async () => {
    const { a, b } = await twoTenants();
    process.env.DRIFT_SWEEP_INTERVAL_HOURS = "24";
    process.env.META_SYNC_RATE_PER_SECOND = "1000";
    const now = Date.now();
    await earlierSweep({ nextStartAt: now + HOUR });
    expect((await runAt(now)).summary).toMatchObject({ swept: 0, sweepFinished: false });
    const due = await runAt(now + HOUR);
    expect(due.visited.sort()).toEqual([...a, ...b].sort());
    expect(due.summary).toMatchObject({ swept: 9, sweepFinished: true, sweep: { numbers: 9 } });
    expect(await readSweepProgress()).toEqual({ nextStartAt: now + HOUR + 24 * HOUR, numbers: 9 });
  });
});
