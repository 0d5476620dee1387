/**
 * The planner on its own, without DynamoDB (username-state/planner.ts is pure): a delivery's
 * changes planned together end where the same changes planned one at a time end, in any order
 * they arrive; the newest event's state wins; each applied change is one history item at the
 * record's next version; an event seen again changes nothing. The committer's side (conditions,
 * re-plans) is in test/integration/state-equivalence.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Plan, planChanges, type WebhookChange } from "../../functions/core/username-state/planner.ts";
import type { PhoneRecord } from "../../functions/core/username-state/records.ts";

const BASE = {
  phoneNumberId: "100000000000001",
  tenantId: "t1",
  wabaId: "200000000000001",
  businessId: "300000000000001",
  displayPhoneNumber: "15550100001",
  accessTokenEncrypted: "v1.sealed",
  createdAt: "2026-12-01T00:00:00.000Z",
  version: 0,
} as PhoneRecord;

let ids = 0;
const plan = (record: PhoneRecord, changes: readonly WebhookChange[]): Plan =>
  planChanges({
    record,
    changes,
    at: "2026-12-06T08:00:00.000Z",
    newEventId: () => `evt_${String(++ids).padStart(26, "0")}`,
  });

const change = (time: number, username: string, status: string): WebhookChange => ({
  kind: "webhook",
  event: { time, status, username },
  value: { status, username },
});

/** The record after a plan: its write's result, or the record it was planned from. */
const recordAfter = (p: Plan): PhoneRecord => p.record?.to ?? p.base;

const oneAtATime = (record: PhoneRecord, changes: readonly WebhookChange[]) => {
  let current = record;
  const history = [];
  for (const c of changes) {
    const p = plan(current, [c]);
    history.push(...p.history);
    current = recordAfter(p);
  }
  return { record: current, history };
};

const STATUSES = ["reserved", "approved", "deleted"] as const;
const changesArb = fc
  .uniqueArray(fc.integer({ min: 1_700_000_000, max: 1_700_100_000 }), { minLength: 1, maxLength: 12 })
  .chain((times) =>
    fc.tuple(
      fc.constant(times),
      fc.array(fc.constantFrom(...STATUSES), { minLength: times.length, maxLength: times.length }),
      fc.array(fc.constantFrom("green_leaf", "blue_sky", "red_rock"), {
        minLength: times.length,
        maxLength: times.length,
      }),
    ),
  )
  .map(([times, statuses, names]) =>
    times.map((t, i) => change(t, names[i] as string, statuses[i] as string)),
  );

describe("planChanges (pure)", () => {
  it("a newer event applies, an older one after it is stale; one history item per applied change", () => {
    const newer = change(1_700_000_100, "green_leaf", "approved");
    const older = change(1_700_000_050, "green_leaf", "reserved");
    const p = plan(BASE, [newer, older]);
    expect(p.outcomes.map((o) => (o.applied ? "applied" : o.reason))).toEqual(["applied", "stale"]);
    expect(p.history).toHaveLength(1);
    expect(recordAfter(p)).toMatchObject({ username: "green_leaf", status: "approved", version: 1 });
  });

  it("the same event twice in one delivery applies once", () => {
    const event = change(1_700_000_100, "green_leaf", "approved");
    const p = plan(BASE, [event, event]);
    expect(p.outcomes[0]?.applied).toBe(true);
    expect(p.outcomes[1]?.applied).toBe(false);
    expect(p.history).toHaveLength(1);
  });

  it("planned together or one at a time, in any arrival order: the same record, the newest event's state", () => {
    fc.assert(
      fc.property(changesArb, fc.boolean(), (changes, reverse) => {
        const arrived = reverse ? [...changes].reverse() : changes;
        const together = plan(BASE, arrived);
        const single = oneAtATime(BASE, arrived);
        const pick = (r: PhoneRecord) => ({
          username: r.username,
          status: r.status,
          stateEpoch: r.stateEpoch,
          version: r.version,
        });
        expect(pick(recordAfter(together))).toEqual(pick(single.record));
        expect(together.history.map((h) => [h.version, h.username, h.status])).toEqual(
          single.history.map((h) => [h.version, h.username, h.status]),
        );
        const newest = [...changes].sort((a, b) => b.event.time - a.event.time)[0] as WebhookChange;
        const final = recordAfter(together);
        expect(final.stateEpoch).toBe(newest.event.time);
        expect(final.status).toBe(newest.value.status);
        // Versions are contiguous from the base: one per applied change.
        expect(together.history.map((h) => h.version)).toEqual(together.history.map((_, i) => i + 1));
      }),
    );
  });
});
