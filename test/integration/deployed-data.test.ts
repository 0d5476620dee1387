/**
 * A stage deployed before the line and the lease shared one item keeps working: its numbers'
 * lines are a `QUEUE` item (the tickets) beside an `INTENT` item without `nextTicket` (the lease,
 * the last turn over, an unresolved outcome). Items are written here exactly as that code wrote
 * them; the current code then claims, deletes and reconciles on them (docs/architecture.md, "Data").
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { expectConsistent } from "../reliability/helpers/store-snapshot.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { seedPhone, seedTenant, uniqueUsername, useWorld } from "../support/world.ts";

const world = useWorld();

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
