/**
 * Load: mixed operations at concurrency 50 across 20 phone numbers of 3 tenants, with Meta's
 * webhooks (approvals and revocations sent twice, stale events, shuffled and concurrent)
 * delivered over HTTP in between, and some POSTs retried with their Idempotency-Key. No faults
 * injected. Afterwards, for every number: state and history agree, history holds one event per
 * accepted change (unless a webhook about the number landed while it was in flight: then the
 * order is unknown and the reconciler settles the number) and none from anything refused, Meta
 * saw exactly one call per accepted request, no tenant's request touched another tenant's number,
 * and after one reconciler run every number's state is Meta's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mapWithConcurrency } from "../../functions/core/concurrency.ts";
import { runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import type { WebhookDelivery } from "../../meta-sandbox/index.ts";
import { type Answer, apiEvent, invoke, lambdaContext } from "../support/lambda.ts";
import { shuffled } from "../support/randomness.ts";
import { type Operation, USERNAME_ROUTES } from "../support/username-client.ts";
import { APP_SECRET, configureWebhookSecrets, startWebhookReceiver } from "../support/webhook-client.ts";
import { type SeededPhone, type SeededTenant, seedPhone, seedTenant, useWorld } from "../support/world.ts";
import { recordWrittenKeys } from "../support/written-keys.ts";
import { expectConsistent } from "./helpers/store-snapshot.ts";

// Meta's budget per call: generous, as 50 requests in flight on a shared 2-core machine are slow.
const savedTimeout = process.env.META_TIMEOUT_MS;
process.env.META_TIMEOUT_MS = "10000";
const world = useWorld();
const OPERATIONS = Number(process.env.LOAD_OPERATIONS ?? 520);
const CONCURRENCY = 50;
const PHONES = 20;
const TENANTS = 3;

interface Owned {
  tenant: SeededTenant;
  phone: SeededPhone;
}

type Op =
  | { kind: "api"; operation: Operation; owner: Owned; caller: SeededTenant; body?: unknown; key?: string }
  | { kind: "retry"; of: number }
  | { kind: "approve" | "revoke" | "stale"; owner: Owned };

interface ApiResult {
  op: Extract<Op, { kind: "api" }>;
  requestId: string;
  answer: Answer;
  /** ISO times around the call: a state recorded in between was recorded while it was in flight. */
  started: string;
  ended: string;
}

let tenants: SeededTenant[];
let owned: Owned[];
let receiver: { url: string; close(): Promise<void> };

beforeAll(async () => {
  configureWebhookSecrets();
  receiver = await startWebhookReceiver();
  world.sandbox.configureWebhook({ callbackUrl: receiver.url, appSecret: APP_SECRET });
  tenants = await Promise.all(Array.from({ length: TENANTS }, () => seedTenant()));
  owned = await Promise.all(
    Array.from({ length: PHONES }, async (_, i) => {
      const tenant = tenants[i % TENANTS] as SeededTenant;
      return { tenant, phone: await seedPhone(world, tenant) };
    }),
  );
});
afterAll(async () => {
  if (savedTimeout === undefined) delete process.env.META_TIMEOUT_MS;
  else process.env.META_TIMEOUT_MS = savedTimeout;
  world.sandbox.configureWebhook(null);
  await receiver?.close();
});

function tallyOf(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** A deterministic plan (seeded LCG): the same mix on every run. */
function plan(count: number): Op[] {
  let seed = 20_261_126;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const ops: Op[] = [];
  const keyed: number[] = [];
  for (let i = 0; i < count; i++) {
    const owner = pick(owned);
    const roll = random();
    if (roll < 0.3) {
      const key = random() < 0.4 ? `load-${i}` : undefined;
      if (key) keyed.push(i);
      ops.push({
        kind: "api",
        operation: "claim",
        owner,
        caller: owner.tenant,
        body: { username: `load_${i}` },
        key,
      });
    } else if (roll < 0.42) {
      const key = random() < 0.4 ? `load-${i}` : undefined;
      if (key) keyed.push(i);
      ops.push({ kind: "api", operation: "delete", owner, caller: owner.tenant, key });
    } else if (roll < 0.6) ops.push({ kind: "api", operation: "get", owner, caller: owner.tenant });
    else if (roll < 0.68) ops.push({ kind: "api", operation: "suggestions", owner, caller: owner.tenant });
    else if (roll < 0.78) {
      // Another tenant's valid key on this number, any operation.
      const caller = pick(tenants.filter((t) => t !== owner.tenant));
      const operation = pick(["get", "suggestions", "claim", "delete"] as const);
      ops.push({ kind: "api", operation, owner, caller, body: { username: `intruder_${i}` } });
    } else if (roll < 0.86 && keyed.length > 0) ops.push({ kind: "retry", of: pick(keyed) });
    else if (roll < 0.93) ops.push({ kind: "approve", owner });
    else if (roll < 0.96) ops.push({ kind: "revoke", owner });
    else ops.push({ kind: "stale", owner });
  }
  return ops;
}

async function callApi(op: Extract<Op, { kind: "api" }>): Promise<ApiResult> {
  const route = USERNAME_ROUTES[op.operation];
  const headers: Record<string, string> = { "x-api-key": op.caller.apiKey };
  if (op.key) headers["idempotency-key"] = op.key;
  const withBody = op.operation === "claim";
  if (withBody) headers["content-type"] = "application/json";
  const event = apiEvent({
    method: route.method,
    routePath: route.path,
    pathParameters: { version: "v24.0", phone_number_id: op.owner.phone.phoneNumberId },
    headers,
    ...(withBody ? { body: JSON.stringify(op.body) } : {}),
  });
  const started = new Date().toISOString();
  const answer = await invoke(route.handler, event, lambdaContext(30_000));
  return { op, requestId: event.requestContext.requestId, answer, started, ended: new Date().toISOString() };
}

/** A webhook Meta sends about this number; Meta may have nothing to approve or revoke (409). */
async function webhook(op: Extract<Op, { kind: "approve" | "revoke" | "stale" }>): Promise<void> {
  const id = op.owner.phone.phoneNumberId;
  try {
    if (op.kind === "approve") await world.sandbox.approve(id, { duplicates: 1 });
    else if (op.kind === "revoke") await world.sandbox.revoke(id);
    else {
      // An old event arriving late, twice, in any order.
      const stale = {
        wabaId: op.owner.phone.wabaId,
        displayPhoneNumber: op.owner.phone.displayPhoneNumber,
        time: Math.floor(Date.now() / 1000) - 3_600,
        status: "reserved",
        username: `stale_${id.slice(-6)}`,
      };
      await world.sandbox.deliverRaw(shuffled([stale, stale, { ...stale, time: stale.time - 1 }]), {
        concurrent: true,
      });
    }
  } catch (error) {
    if ((error as { httpStatus?: number }).httpStatus !== 409) throw error;
  }
}

describe("load", () => {
  it(`${OPERATIONS} mixed operations at concurrency ${CONCURRENCY}, ${PHONES} numbers, ${TENANTS} tenants`, async () => {
    const ops = plan(OPERATIONS);
    const results: ApiResult[] = [];
    const started = performance.now();
    // Every partition key written on the requests' paths (docs/scale.md).
    const written = recordWrittenKeys();
    let settled: Awaited<ReturnType<typeof mapWithConcurrency>>;
    try {
      settled = await mapWithConcurrency(ops, CONCURRENCY, async (op) => {
        if (op.kind === "api") results.push(await callApi(op));
        else if (op.kind === "retry") {
          const original = ops[op.of] as Extract<Op, { kind: "api" }>;
          results.push(await callApi(original));
        } else await webhook(op);
      });
      await world.sandbox.flushWebhooks();
    } finally {
      written.stop();
    }
    const durationMs = Math.round(performance.now() - started);
    expect(settled.filter((s) => s.status === "rejected")).toEqual([]);

    // --- no write to a partition key shared by all tenants ----------------------------------
    // Each written partition names one tenant, number, portfolio (one tenant's), key, event or
    // endpoint of this run: nothing every request of every tenant would write.
    const own = new Set([
      ...tenants.map((t) => t.tenantId),
      ...owned.flatMap(({ phone }) => [phone.phoneNumberId, phone.businessId]),
    ]);
    const naming = [
      /^PHONE#(\d+)$/,
      /^WABAPHONE#\d+#\d+$/,
      /^BUSINESS#(\d+)$/,
      /^IDEMPOTENCY#([^#]+)#\d+$/,
      /^RATELIMIT#(.+)$/,
      // A refused request for a number not the tenant's counts against its request limit.
      /^READLIMIT#(.+)$/,
      /^INTENT#DUE#(.+)$/,
      /^TENANT#(.+)$/,
      /^APIKEY#[0-9a-f]{64}$/,
      /^(?:EVENT|DELIVERY)#evt_[0-9A-Z]{26}$/,
      /^(?:FEED|ENDPOINTS)#(.+)$/,
    ];
    const shared = [...written.counts.keys()].filter((key) => {
      const match = naming.map((pattern) => pattern.exec(key)).find((m) => m !== null);
      return !match || (match[1] !== undefined && !own.has(match[1]));
    });
    expect(shared, "partition keys written that name no tenant, number, event or endpoint").toEqual([]);
    expect(written.counts.size).toBeGreaterThan(PHONES);

    // --- every answer is one we can account for --------------------------------------------
    const accepted: ApiResult[] = [];
    const unknown: ApiResult[] = [];
    const tally = new Map<string, number>();
    const bump = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);
    for (const result of results) {
      const { op, answer } = result;
      expect(answer.headers["cache-control"]).toBe("no-store");
      if (op.caller !== op.owner.tenant) {
        // Another tenant's number: the same answer as an unknown id, and Meta never asked.
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe(33);
        bump("cross-tenant 33");
      } else if (answer.headers["idempotent-replayed"] === "true") {
        expect(op.key).toBeDefined();
        bump("replayed");
      } else if (answer.status === 409) {
        expect(op.key).toBeDefined();
        expect(answer.json.error.code).toBe(100);
        bump("in flight 409");
      } else if (answer.status >= 500) {
        // Only a declared transient error (Meta too slow on a loaded machine, storage timing
        // out): its outcome is unknown, so it may or may not have reached Meta or the history.
        expect(answer.json.error, answer.body).toMatchObject({ code: 2, is_transient: true });
        unknown.push(result);
        bump(`${op.operation} ${answer.status} transient`);
      } else {
        // Everything else reached Meta: 2xx, or Meta's own verdict passed through.
        accepted.push(result);
        bump(answer.status < 300 ? `${op.operation} 2xx` : `${op.operation} ${answer.status} from Meta`);
      }
    }

    expect(unknown.length, "transient failures stay rare").toBeLessThan(results.length / 20);

    // --- Meta saw exactly one call per accepted request, and only with the owner's token ----
    const tokenOf = new Map(owned.map((o) => [o.phone.phoneNumberId, o.phone.accessToken]));
    const callOf = ({ op }: ApiResult) =>
      `${USERNAME_ROUTES[op.operation].method} /v24.0/${op.owner.phone.phoneNumberId}/${op.operation === "suggestions" ? "username_suggestions" : "username"}`;
    const requests = world.sandbox.requests();
    const received = tallyOf(requests.map((r) => `${r.method} ${r.path}`));
    const expected = tallyOf(accepted.map(callOf));
    const maybe = tallyOf(unknown.map(callOf));
    for (const call of new Set([...received.keys(), ...expected.keys()])) {
      // Exactly one per accepted request; at most one more per request whose outcome is unknown.
      const extra = (received.get(call) ?? 0) - (expected.get(call) ?? 0);
      expect(extra, call).toBeGreaterThanOrEqual(0);
      expect(extra, call).toBeLessThanOrEqual(maybe.get(call) ?? 0);
    }
    for (const request of requests) {
      const id = request.path.split("/")[2] ?? "";
      expect(request.headers.authorization).toBe(`Bearer ${tokenOf.get(id)}`);
    }

    // --- webhooks: every delivery acknowledged; applied changes are in the history once ----
    const deliveries: WebhookDelivery[] = world.sandbox.deliveries();
    expect(deliveries.filter((d) => d.status !== 200)).toEqual([]);
    const appliedByWebhooks = deliveries.reduce(
      (sum, d) => sum + (JSON.parse(d.body) as { applied: number }).applied,
      0,
    );

    // --- per number: consistent, and every event accounted for -------------------------------
    const acceptedIds = new Map(accepted.map((r) => [r.requestId, r]));
    const unknownIds = new Set(unknown.map((r) => r.requestId));
    let webhookEvents = 0;
    let apiEvents = 0;
    for (const { tenant, phone } of owned) {
      const { phone: stored, history } = await expectConsistent(phone.phoneNumberId);
      expect(stored?.tenantId).toBe(tenant.tenantId);
      const apiHistory = history.filter((e) => e.source === "api");
      const ids = apiHistory.map((e) => e.requestId);
      expect(new Set(ids).size, "one event per request at most").toBe(ids.length);
      for (const event of apiHistory) {
        if (unknownIds.has(event.requestId ?? "")) continue;
        const origin = acceptedIds.get(event.requestId ?? "");
        expect(origin, "an API event comes from an accepted request").toBeDefined();
        expect(origin?.op.owner.phone.phoneNumberId).toBe(phone.phoneNumberId);
        expect(origin?.op.caller).toBe(tenant);
        expect(origin?.answer.status).toBe(200);
      }
      // Each accepted claim is a change (its name is new): recorded by itself, or by a webhook
      // about the same name, in any case present in the history; unless a webhook about the
      // number arrived while it was in flight (the order is then unknown: the number is left to
      // the reconciler, which records Meta's state, checked below).
      const names = new Set(history.map((e) => e.username));
      const webhookWindows = deliveries
        .filter((d) => d.rawBody.includes(phone.displayPhoneNumber))
        .map((d) => [d.at, d.at + d.durationMs]);
      for (const r of accepted) {
        if (r.op.operation === "claim" && r.op.owner.phone === phone && r.answer.status === 200) {
          const [started, ended] = [Date.parse(r.started), Date.parse(r.ended)];
          const raced = webhookWindows.some(([from = 0, to = 0]) => from <= ended && to >= started);
          if (!raced) expect(names.has((r.op.body as { username: string }).username), r.requestId).toBe(true);
        }
      }
      const webhookHistory = history.filter((e) => e.source === "webhook");
      const identities = webhookHistory.map((e) => `${e.eventTime}/${e.status}/${e.username ?? ""}`);
      expect(new Set(identities).size, "a duplicate delivery is never applied twice").toBe(identities.length);
      webhookEvents += webhookHistory.length;
      apiEvents += apiHistory.length;
    }
    expect(webhookEvents).toBe(appliedByWebhooks);

    // --- after one reconciler run, every number is what Meta says ------------------------------
    await runReconciler({ deadline: Date.now() + 60_000 });
    for (const { phone } of owned) {
      const { phone: stored } = await expectConsistent(phone.phoneNumberId);
      const meta = world.sandbox.getPhone(phone.phoneNumberId);
      expect({ username: stored?.username, status: stored?.status }, phone.phoneNumberId).toEqual({
        username: meta?.username,
        status: meta?.status,
      });
    }

    const summary = {
      load: {
        operations: ops.length,
        apiRequests: results.length,
        webhookDeliveries: deliveries.length,
        concurrency: CONCURRENCY,
        phones: PHONES,
        tenants: TENANTS,
        durationMs,
        metaCalls: requests.length,
        transient5xx: unknown.length,
        historyEvents: { api: apiEvents, webhook: webhookEvents },
        answers: Object.fromEntries([...tally].sort()),
      },
    };
    console.info(JSON.stringify(summary));
    expect(results.length + ops.filter((o) => o.kind !== "api" && o.kind !== "retry").length).toBe(
      OPERATIONS,
    );
    expect(tally.get("cross-tenant 33") ?? 0).toBeGreaterThan(0);
    expect(tally.get("replayed") ?? 0).toBeGreaterThan(0);
    expect(appliedByWebhooks).toBeGreaterThan(0);
  }, 180_000);
});
