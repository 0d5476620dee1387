/**
 * The Meta Graph client through the username handlers, against the sandbox's faults over HTTP:
 * GETs retry transient failures (at most 3 attempts; throttles never: graph-fidelity.test.ts),
 * POST and DELETE are never replayed, Meta's answers pass through, and anything that is not a
 * Meta answer becomes a Graph code 2 error.
 * No failure changes the stored state.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../dev/free-port.ts";
import type { SandboxFault } from "../../meta-sandbox/index.ts";
import type { Answer } from "../support/lambda.ts";
import { expectStateUnchanged, snapshotState } from "../support/unchanged.ts";
import { type CallOptions, callUsernameApi, type Operation } from "../support/username-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  uniqueUsername,
  useWorld,
} from "../support/world.ts";

const world = useWorld();
beforeAll(() => {
  // A generous budget, so retries and their backoff never run out of time on a loaded machine;
  // the timeout tests below set their own.
  process.env.META_TIMEOUT_MS = "10000";
});

/** A number that already holds a name here and at Meta, so "unchanged" has something to lose. */
async function phoneWithState(): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const tenant = await seedTenant();
  const phone = await seedPhone(world, tenant);
  const claimed = await callUsernameApi("claim", phone.phoneNumberId, {
    apiKey: tenant.apiKey,
    body: { username: uniqueUsername("upstream") },
  });
  expect(claimed.status).toBe(200);
  world.sandbox.clearRequests();
  return { tenant, phone };
}

function call(
  operation: Operation,
  who: { tenant: SeededTenant; phone: SeededPhone },
  options: CallOptions = {},
) {
  const body = operation === "claim" ? { body: { username: uniqueUsername("attempt") } } : {};
  return callUsernameApi(operation, who.phone.phoneNumberId, {
    apiKey: who.tenant.apiKey,
    ...body,
    ...options,
  });
}

function expectTransient(answer: Answer, status: 502 | 504, phone: SeededPhone): void {
  expect(answer.status).toBe(status);
  expect(answer.json.error).toMatchObject({ code: 2, is_transient: true, type: "OAuthException" });
  expect(answer.body).not.toContain(phone.accessToken);
  expect(answer.body).not.toContain(world.sandbox.url);
}

function requestCount(): number {
  return world.sandbox.requests().length;
}

const META_5XX = {
  error: {
    message: "An unexpected error has occurred. Please retry your request later.",
    type: "OAuthException",
    code: 2,
    is_transient: true,
    fbtrace_id: "Upstream5xxTrace",
  },
};

describe("GET retries transient failures", () => {
  const cases: Array<{ what: string; faults: SandboxFault[]; attempts: number }> = [
    { what: "500 once", faults: [{ mode: "status", status: 500 }], attempts: 2 },
    { what: "503 twice", faults: [{ mode: "status", status: 503, count: 2 }], attempts: 3 },
    { what: "a reset connection", faults: [{ mode: "reset" }], attempts: 2 },
    { what: "two resets", faults: [{ mode: "reset", count: 2 }], attempts: 3 },
    {
      what: "502 then 503",
      faults: [
        { mode: "status", status: 502 },
        { mode: "status", status: 503 },
      ],
      attempts: 3,
    },
  ];

  it.each(cases)(
    "GET /username after $what: succeeds on attempt $attempts and records the answer",
    async (c) => {
      const who = await phoneWithState();
      // Meta approved meanwhile: the successful GET has something new to record.
      world.sandbox.updatePhone(who.phone.phoneNumberId, { status: "approved" });
      const before = await storedState(who.phone.phoneNumberId);
      for (const fault of c.faults) world.sandbox.injectFault(fault);

      const answer = await call("get", who);

      expect(answer.status).toBe(200);
      expect(answer.json.status).toBe("approved");
      const requests = world.sandbox.requests();
      expect(requests).toHaveLength(c.attempts);
      expect(new Set(requests.map((r) => `${r.method} ${r.path}`))).toEqual(
        new Set([`GET /v24.0/${who.phone.phoneNumberId}/username`]),
      );
      const after = await storedState(who.phone.phoneNumberId);
      expect(after.phone).toMatchObject({ status: "approved", version: (before.phone?.version ?? 0) + 1 });
      expect(after.history).toHaveLength(before.history.length + 1);
    },
  );

  it.each(cases)("GET /username_suggestions after $what: succeeds on attempt $attempts", async (c) => {
    const who = await phoneWithState();
    for (const fault of c.faults) world.sandbox.injectFault(fault);

    const answer = await call("suggestions", who);

    expect(answer.status).toBe(200);
    expect(answer.json.data[0].username_suggestions.length).toBeGreaterThan(0);
    expect(requestCount()).toBe(c.attempts);
  });

  it("gives up after 3 attempts and passes Meta's last 5xx answer through unchanged", async () => {
    const who = await phoneWithState();
    world.sandbox.injectFault({ mode: "status", status: 500, count: 5, body: META_5XX });
    const before = await snapshotState(who.phone.phoneNumberId);

    const answer = await call("get", who);

    expect(requestCount()).toBe(3);
    expect(world.sandbox.pendingFaults()[0]?.count).toBe(2);
    expect(answer.status).toBe(500);
    expect(answer.body).toBe(JSON.stringify(META_5XX));
    await expectStateUnchanged(before);
  });

  it("never retries a rate limit: the 429 passes through after one attempt", async () => {
    const who = await phoneWithState();
    const limited = { error: { message: "(#80007) Rate limit issues", type: "OAuthException", code: 80007 } };
    world.sandbox.injectFault({
      mode: "status",
      status: 429,
      count: Number.POSITIVE_INFINITY,
      body: limited,
    });
    const before = await snapshotState(who.phone.phoneNumberId);

    const answer = await call("get", who);

    expect(requestCount()).toBe(1);
    expect(answer.status).toBe(429);
    expect(answer.body).toBe(JSON.stringify(limited));
    await expectStateUnchanged(before);
  });

  it("gives up after 3 reset connections with 502 code 2", async () => {
    const who = await phoneWithState();
    world.sandbox.injectFault({ mode: "reset", count: 5 });
    const before = await snapshotState(who.phone.phoneNumberId);

    const answer = await call("get", who);

    expect(requestCount()).toBe(3);
    expectTransient(answer, 502, who.phone);
    await expectStateUnchanged(before);
  });

  it("does not retry Meta's 4xx errors", async () => {
    const who = await phoneWithState();
    world.sandbox.updatePhone(who.phone.phoneNumberId, { permitted: false });

    const answer = await call("get", who);

    expect(answer.status).toBe(403);
    expect(requestCount()).toBe(1);
  });
});

describe("POST and DELETE are never replayed", () => {
  const replayCases = (["claim", "delete"] as const).flatMap((operation) => [
    {
      operation,
      what: "500 with Meta's envelope",
      fault: { mode: "status", status: 500, body: META_5XX } as SandboxFault,
    },
    { operation, what: "503", fault: { mode: "status", status: 503 } as SandboxFault },
    { operation, what: "429", fault: { mode: "status", status: 429 } as SandboxFault },
  ]);

  it.each(replayCases)(
    "$operation on $what: exactly one request, Meta's answer passed through",
    async (c) => {
      const who = await phoneWithState();
      world.sandbox.injectFault({ ...c.fault, count: 5 });
      const before = await snapshotState(who.phone.phoneNumberId);

      const answer = await call(c.operation, who);

      expect(requestCount()).toBe(1);
      expect(answer.status).toBe(c.fault.status);
      if (c.fault.body) expect(answer.body).toBe(JSON.stringify(c.fault.body));
      expect(answer.json.error.code).toBe(c.fault.status === 429 ? 4 : 2);
      await expectStateUnchanged(before);
    },
  );

  it.each(["claim", "delete"] as const)(
    "%s on a reset connection: one request, 502 code 2",
    async (operation) => {
      const who = await phoneWithState();
      world.sandbox.injectFault({ mode: "reset", count: 5 });
      const before = await snapshotState(who.phone.phoneNumberId);

      const answer = await call(operation, who);

      expect(requestCount()).toBe(1);
      expectTransient(answer, 502, who.phone);
      await expectStateUnchanged(before);
    },
  );

  it("a 5xx whose body is not a Graph error becomes 502 code 2 (not passed through)", async () => {
    const who = await phoneWithState();
    world.sandbox.injectFault({ mode: "status", status: 500, body: { unexpected: true } });
    const before = await snapshotState(who.phone.phoneNumberId);

    const answer = await call("claim", who);

    expect(requestCount()).toBe(1);
    expectTransient(answer, 502, who.phone);
    await expectStateUnchanged(before);
  });
});

describe("answers that are not Meta's", () => {
  it.each<Operation>(["get", "suggestions", "claim", "delete"])(
    "%s: a non-JSON answer (garbage) is 502 code 2 is_transient",
    async (operation) => {
      const who = await phoneWithState();
      world.sandbox.injectFault({ mode: "garbage", count: 5 });
      const before = await snapshotState(who.phone.phoneNumberId);

      const answer = await call(operation, who);

      expectTransient(answer, 502, who.phone);
      expect(requestCount()).toBe(1);
      await expectStateUnchanged(before);
    },
  );

  it.each<Operation>(["get", "claim"])(
    "%s: Meta unreachable (nothing listening) is 502 code 2",
    async (operation) => {
      const who = await phoneWithState();
      const sandboxUrl = process.env.META_GRAPH_URL;
      const nowhere = `127.0.0.1:${await freePort()}`;
      process.env.META_GRAPH_URL = `http://${nowhere}`;
      const before = await snapshotState(who.phone.phoneNumberId);
      let answer: Answer;
      try {
        answer = await call(operation, who);
      } finally {
        process.env.META_GRAPH_URL = sandboxUrl;
      }
      expectTransient(answer, 502, who.phone);
      expect(answer.body).not.toContain(nowhere);
      await expectStateUnchanged(before);
    },
  );
});

describe("timeouts", () => {
  let savedTimeout: string | undefined;
  beforeEach(() => {
    savedTimeout = process.env.META_TIMEOUT_MS;
    process.env.META_TIMEOUT_MS = "300";
  });
  afterEach(() => {
    process.env.META_TIMEOUT_MS = savedTimeout;
  });

  const cases: Array<{ operation: Operation; fault: SandboxFault }> = [
    { operation: "get", fault: { mode: "hang" } },
    { operation: "get", fault: { mode: "slow", delayMs: 1_500 } },
    { operation: "suggestions", fault: { mode: "hang" } },
    { operation: "claim", fault: { mode: "hang" } },
    { operation: "claim", fault: { mode: "slow", delayMs: 1_500 } },
    { operation: "delete", fault: { mode: "slow", delayMs: 1_500 } },
  ];

  it.each(cases)(
    "$operation on $fault.mode beyond META_TIMEOUT_MS: 504 code 2, nothing recorded",
    async (c) => {
      const who = await phoneWithState();
      world.sandbox.injectFault({ ...c.fault, count: 5 });
      const before = await snapshotState(who.phone.phoneNumberId);

      const answer = await call(c.operation, who);

      expectTransient(answer, 504, who.phone);
      // The budget covers every attempt together: a timed-out GET is not started again.
      expect(requestCount()).toBe(1);
      await expectStateUnchanged(before);
    },
  );

  it("a slow answer inside the budget is waited for", async () => {
    process.env.META_TIMEOUT_MS = "5000";
    const who = await phoneWithState();
    world.sandbox.injectFault({ mode: "slow", delayMs: 200 });
    const answer = await call("get", who);
    expect(answer.status).toBe(200);
  });

  it("the Lambda's remaining time caps the timeout, however long META_TIMEOUT_MS is", async () => {
    process.env.META_TIMEOUT_MS = "60000";
    const who = await phoneWithState();
    // Would succeed after 8 s; the Lambda has 4 s left, 1 s of which is kept for answering.
    world.sandbox.injectFault({ mode: "slow", delayMs: 8_000 });
    const before = await snapshotState(who.phone.phoneNumberId);

    const answer = await call("claim", who, { remainingMs: 4_000 });

    expectTransient(answer, 504, who.phone);
    expect(requestCount()).toBe(1);
    await expectStateUnchanged(before);
  });

  it("with no time left for an upstream call, Meta is not called at all", async () => {
    process.env.META_TIMEOUT_MS = "60000";
    const who = await phoneWithState();
    const before = await snapshotState(who.phone.phoneNumberId);

    const answer = await call("claim", who, { remainingMs: 500 });

    expectTransient(answer, 504, who.phone);
    expect(requestCount()).toBe(0);
    await expectStateUnchanged(before);
  });
});
