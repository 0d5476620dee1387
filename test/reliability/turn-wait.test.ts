/**
 * A POST that waits for the number's turn behind a change still running (docs/spec.md: a request
 * that waits too long gets 503 with Retry-After, before Meta is called): its wait ends at its
 * `waitUntil` whatever the holder does, also when it is next in line behind a holder whose turn
 * outlasts that wait (a slow Meta call with META_TIMEOUT_MS near the function's timeout). Before,
 * the next in line kept trying to claim until the holder's lease ended, then called Meta with what
 * was left of the invocation: a 504 at the deadline, and Meta called too late to be answered.
 */
import { afterEach, describe, expect, it } from "vitest";
import { setDynamoClient } from "../../functions/core/store/client.ts";
import { getIntent } from "../../functions/core/store/number-line.ts";
import { takeTurn } from "../../functions/core/usernames/turns.ts";
import { callUsernameApi } from "../support/username-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";

const world = useWorld();
afterEach(() => setDynamoClient(undefined));

/** Asks for the number's turn as `owner` would for a claim: its lease and its wait end that many ms from now. */
function turnOf(phone: SeededPhone, tenant: SeededTenant, owner: string, leaseMs: number, waitMs: number) {
  return takeTurn({
    phoneNumberId: phone.phoneNumberId,
    tenantId: tenant.tenantId,
    owner,
    operation: "claim",
    username: `${owner.replace(/\W/g, "_")}_${uniqueDigits(6)}`,
    leaseUntil: Date.now() + leaseMs,
    waitUntil: Date.now() + waitMs,
  });
}

describe("a caller next in line behind a turn that outlasts its wait", () => {
  it("gives up at its waitUntil (no turn, Meta not called), not when the holder's lease ends", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const holder = await turnOf(phone, tenant, "slow-holder", 10_000, 10_000);
    expect(holder).toBeDefined();
    const holderLeaseEnds = Date.now() + 10_000;
    const waiter = await turnOf(phone, tenant, "waiter", 10_000, 800);
    expect(waiter).toBeUndefined();
    // What tells the two apart: the waiter is back while the holder's lease still runs.
    expect(Date.now()).toBeLessThan(holderLeaseEnds);
    expect((await getIntent(phone.phoneNumberId))?.leaseOwner).toBe("slow-holder");
  });

  it("answers a POST 503 code 2 with Retry-After before its deadline, and Meta is not called", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    // A change still running for longer than the POST may wait (its Meta call slow).
    await turnOf(phone, tenant, "slow-holder", 12_000, 12_000);
    world.sandbox.clearRequests();
    const started = Date.now();
    // 8 s left in the invocation: the wait for the turn ends about 5 s before its deadline.
    const answer = await callUsernameApi("claim", phone.phoneNumberId, {
      apiKey: tenant.apiKey,
      body: { username: `busy_${uniqueDigits(6)}` },
      remainingMs: 8_000,
    });
    expect(answer.status, answer.body).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 2 } });
    expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
    // Answered before the invocation's deadline (8 s after it started), not by Lambda's timeout.
    expect(Date.now()).toBeLessThan(started + 8_000);
    expect(world.sandbox.requests()).toEqual([]);
  }, 20_000);
});
