/**
 * Transfer bookkeeping (docs/spec.md, "Transfers within a business portfolio"): within one business portfolio a name moves between numbers
 * only with `force_transfer`, and the number that loses it is cleared in the same write, with a
 * history event saying where it went. Numbers of other portfolios are never touched.
 */
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../functions/core/username-state/records.ts";
import { expectStateUnchanged, snapshotState } from "../support/unchanged.ts";
import { callUsernameApi } from "../support/username-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";

const world = useWorld();

/** The store writes `transferredTo` on the event of the number that lost a name. */
type TransferEvent = HistoryEvent & { transferredTo?: string };

interface Portfolio {
  tenant: SeededTenant;
  a: SeededPhone;
  b: SeededPhone;
}

/** Two numbers of one tenant in one business portfolio, here and at the sandbox's Meta. */
async function portfolio(): Promise<Portfolio> {
  const tenant = await seedTenant();
  const businessId = uniqueDigits(15);
  const a = await seedPhone(world, tenant, { businessId });
  const b = await seedPhone(world, tenant, { businessId });
  return { tenant, a, b };
}

let counter = 0;
function sharedName(): string {
  counter += 1;
  return `shared_name_${counter}_${uniqueDigits(5)}`;
}

async function claim(p: { tenant: SeededTenant }, phone: SeededPhone, username: string, transfer?: string) {
  return callUsernameApi("claim", phone.phoneNumberId, {
    apiKey: p.tenant.apiKey,
    body: { username, ...(transfer ? { transfer_action: transfer } : {}) },
  });
}

describe("within one portfolio", () => {
  it("without force_transfer another number's name is refused with 147005 and nothing changes", async () => {
    const p = await portfolio();
    const name = sharedName();
    expect((await claim(p, p.a, name)).status).toBe(200);
    const before = await snapshotState(p.a.phoneNumberId, p.b.phoneNumberId);

    for (const transfer of [undefined, "none"]) {
      const answer = await claim(p, p.b, name, transfer);
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe(147005);
    }

    await expectStateUnchanged(before);
    expect(world.sandbox.getPhone(p.a.phoneNumberId)?.username).toBe(name);
  });

  it.each([
    ["claimed through the API", "claim"],
    ["learnt from a GET", "get"],
  ] as const)("force_transfer moves a name A %s to B and clears A in the same write", async (_how, how) => {
    const p = await portfolio();
    const name = sharedName();
    if (how === "claim") {
      expect((await claim(p, p.a, name)).status).toBe(200);
    } else {
      world.sandbox.updatePhone(p.a.phoneNumberId, { username: name, status: "approved" });
      const got = await callUsernameApi("get", p.a.phoneNumberId, { apiKey: p.tenant.apiKey });
      expect(got.json).toEqual({ username: name, status: "approved" });
    }
    const aBefore = await storedState(p.a.phoneNumberId);
    expect(aBefore.phone?.username).toBe(name);

    const answer = await claim(p, p.b, name, "force_transfer");

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: "reserved" });
    const a = await storedState(p.a.phoneNumberId);
    const b = await storedState(p.b.phoneNumberId);
    expect(b.phone).toMatchObject({ username: name, status: "reserved", source: "api", version: 1 });
    expect(a.phone?.username).toBeUndefined();
    expect(a.phone?.version).toBe((aBefore.phone?.version ?? 0) + 1);
    expect(a.history).toHaveLength(aBefore.history.length + 1);
    const lost: TransferEvent | undefined = a.history.at(-1);
    expect(lost).toMatchObject({
      source: "transfer",
      previousUsername: name,
      previousStatus: how === "claim" ? "reserved" : "approved",
      transferredTo: p.b.phoneNumberId,
      version: a.phone?.version,
    });
    expect(lost?.username).toBeUndefined();
    // One write: both events carry the same request and the same time.
    const won = b.history.at(-1);
    expect(won).toMatchObject({ username: name, status: "reserved", transferredFrom: p.a.phoneNumberId });
    expect(won?.previousUsername).toBeUndefined();
    expect(lost?.requestId).toBe(won?.requestId);
    expect(lost?.at).toBe(won?.at);
    expect(a.phone?.updatedAt).toBe(b.phone?.updatedAt);
    // Meta's side agrees.
    expect(world.sandbox.getPhone(p.a.phoneNumberId)?.username).toBeUndefined();
    expect(world.sandbox.getPhone(p.b.phoneNumberId)?.username).toBe(name);
  });

  it("names compare case-insensitively: Shared_Name takes shared_name", async () => {
    const p = await portfolio();
    const name = sharedName();
    const differentCase = name.replace("shared_name", "Shared_Name");
    expect(differentCase).not.toBe(name);
    expect((await claim(p, p.a, name)).status).toBe(200);

    const refused = await claim(p, p.b, differentCase, "none");
    expect(refused.json.error.code).toBe(147005);

    const answer = await claim(p, p.b, differentCase, "force_transfer");

    expect(answer.status).toBe(200);
    const a = await storedState(p.a.phoneNumberId);
    const b = await storedState(p.b.phoneNumberId);
    expect(b.phone?.username).toBe(differentCase);
    expect(a.phone?.username).toBeUndefined();
    expect(a.history.at(-1)).toMatchObject({ previousUsername: name, transferredTo: p.b.phoneNumberId });
  });

  it("the name can be moved back: the holder bookkeeping follows each move", async () => {
    const p = await portfolio();
    const name = sharedName();
    await claim(p, p.a, name);
    expect((await claim(p, p.b, name, "force_transfer")).status).toBe(200);

    const back = await claim(p, p.a, name, "force_transfer");

    expect(back.status).toBe(200);
    const a = await storedState(p.a.phoneNumberId);
    const b = await storedState(p.b.phoneNumberId);
    expect(a.phone?.username).toBe(name);
    expect(b.phone?.username).toBeUndefined();
    expect(b.history.at(-1)).toMatchObject({ previousUsername: name, transferredTo: p.a.phoneNumberId });
    expect(a.history.map((e) => e.username)).toEqual([name, undefined, name]);
  });

  it("force_transfer of a name nobody holds is a plain claim that touches no other number", async () => {
    const p = await portfolio();
    await claim(p, p.a, sharedName());
    const before = await snapshotState(p.a.phoneNumberId);

    const answer = await claim(p, p.b, sharedName(), "force_transfer");

    expect(answer.status).toBe(200);
    await expectStateUnchanged(before);
  });

  it("after A changes its name, the old name is free for B without a transfer", async () => {
    const p = await portfolio();
    const oldName = sharedName();
    const newName = sharedName();
    await claim(p, p.a, oldName);
    expect((await claim(p, p.a, newName)).status).toBe(200);
    const aBefore = await snapshotState(p.a.phoneNumberId);

    const answer = await claim(p, p.b, oldName, "none");

    expect(answer.status).toBe(200);
    await expectStateUnchanged(aBefore);
    expect((await storedState(p.b.phoneNumberId)).phone?.username).toBe(oldName);
    const aHistory: TransferEvent[] = (await storedState(p.a.phoneNumberId)).history;
    expect(aHistory.some((e) => e.transferredTo !== undefined)).toBe(false);

    // And B now holds it here too: a transfer back clears B, not A.
    expect((await claim(p, p.a, oldName, "force_transfer")).status).toBe(200);
    expect((await storedState(p.b.phoneNumberId)).phone?.username).toBeUndefined();
    expect((await storedState(p.a.phoneNumberId)).phone?.username).toBe(oldName);
  });

  it("after A deletes its name, B claims it without a transfer and A keeps its deleted state", async () => {
    const p = await portfolio();
    const name = sharedName();
    await claim(p, p.a, name);
    const deleted = await callUsernameApi("delete", p.a.phoneNumberId, { apiKey: p.tenant.apiKey });
    expect(deleted.json).toEqual({ success: true });
    const aBefore = await snapshotState(p.a.phoneNumberId);

    expect((await claim(p, p.b, name)).status).toBe(200);

    await expectStateUnchanged(aBefore);
    expect((await storedState(p.a.phoneNumberId)).phone?.status).toBe("deleted");
  });
});

describe("across portfolios", () => {
  it("a number of another portfolio that still holds the name here is never touched by a transfer", async () => {
    const p = await portfolio();
    const name = sharedName();
    // C, in another portfolio of the same tenant, held the name; Meta has since taken it away
    // and this service has not heard yet (its stored state is stale, as a missed webhook leaves it).
    const c = await seedPhone(world, p.tenant);
    expect((await claim(p, c, name)).status).toBe(200);
    world.sandbox.updatePhone(c.phoneNumberId, { username: null, status: null });
    const cBefore = await snapshotState(c.phoneNumberId);

    expect((await claim(p, p.a, name)).status).toBe(200);
    const answer = await claim(p, p.b, name, "force_transfer");

    expect(answer.status).toBe(200);
    await expectStateUnchanged(cBefore);
    expect((await storedState(p.a.phoneNumberId)).phone?.username).toBeUndefined();
    expect((await storedState(p.b.phoneNumberId)).phone?.username).toBe(name);
  });

  it("a name held by another portfolio is 147001 even with force_transfer, and nothing changes", async () => {
    const p = await portfolio();
    const other = await portfolio();
    const name = sharedName();
    expect((await claim(other, other.a, name)).status).toBe(200);
    const before = await snapshotState(p.b.phoneNumberId, other.a.phoneNumberId);

    const answer = await claim(p, p.b, name, "force_transfer");

    expect(answer.status).toBe(400);
    expect(answer.json.error.code).toBe(147001);
    await expectStateUnchanged(before);
  });
});
