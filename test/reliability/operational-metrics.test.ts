/**
 * Each operational metric (functions/core/metrics.ts) is written, as a CloudWatch EMF line on
 * stdout, by the real failure that should raise it: the Meta sandbox down or throttling, DynamoDB
 * failing (SDK fault injection), a forged Meta signature, a change for an unknown number, a
 * revocation, drift and an unresolved change found by the reconciler, a tenant endpoint failing
 * until its retries run out (WEBHOOK_RETRY_DELAYS compressed). RateLimited is in rate-limit.test.ts,
 * where the clock is pinned inside one minute. The lines are those Lambda's log stream would get.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { deliveryLog, removeEndpointById } from "../../functions/core/admin/webhooks.ts";
import { METRICS_NAMESPACE } from "../../functions/core/metrics.ts";
import { reconcileNumber, runReconciler } from "../../functions/core/reconcile/reconciler.ts";
import { SERVICE_NAME } from "../../functions/core/service.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { captureMetrics, type MetricCapture } from "../support/metric-lines.ts";
import { injectStorageFaults, storageError, writeKind } from "../support/storage-faults.ts";
import { startTenantEndpoint } from "../support/tenant-endpoint.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { configureWebhookSecrets, postEvents, postWebhook, webhookEvent } from "../support/webhook-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  uniqueDigits,
  uniqueUsername,
  useWorld,
} from "../support/world.ts";

process.env.WEBHOOK_RETRY_DELAYS = "0.2,0.2";
process.env.WEBHOOK_TIMEOUT_MS = "500";
const ATTEMPTS = 3;

const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);
let metrics: MetricCapture;

beforeAll(() => configureWebhookSecrets());
beforeEach(() => {
  metrics = captureMetrics();
});
afterEach(() => metrics.stop());

async function owner(): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const tenant = await seedTenant();
  return { tenant, phone: await seedPhone(world, tenant) };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("the EMF line", () => {
  it("is one count in the service's namespace, with service and stage dimensions and the ids as metadata", async () => {
    const who = await owner();
    world.sandbox.injectFault({ mode: "status", status: 500, path: who.phone.phoneNumberId, count: 3 });
    await callUsernameApi("suggestions", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey });
    const [line, ...others] = metrics.linesOf("UpstreamUnavailable");
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [["service", "stage"]],
            Metrics: [{ Name: "UpstreamUnavailable", Unit: "Count" }],
          },
        ],
      },
      service: SERVICE_NAME,
      stage: "local",
      UpstreamUnavailable: 1,
      phoneNumberId: who.phone.phoneNumberId,
      method: "GET",
      edge: "username_suggestions",
      status: "500",
    });
    expect(Math.abs((line?._aws.Timestamp ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it("a successful request writes none", async () => {
    const who = await owner();
    const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: uniqueUsername("quiet") },
    });
    expect(answer.status).toBe(200);
    expect(metrics.lines()).toEqual([]);
  });
});

describe("Meta in trouble", () => {
  it.each([
    ["Meta's own 5xx (retried, then passed on)", { mode: "status", status: 503, count: 3 }, 503],
    ["a reset connection", { mode: "reset", count: 3 }, 502],
    ["an answer that is not JSON", { mode: "garbage", count: 3 }, 502],
  ] as const)("UpstreamUnavailable: %s", async (_, fault, status) => {
    const who = await owner();
    world.sandbox.injectFault({ ...fault, path: who.phone.phoneNumberId });
    const answer = await callUsernameApi("get", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey });
    expect(answer.status).toBe(status);
    expect(metrics.count("UpstreamUnavailable")).toBe(1);
    expect(metrics.count("UpstreamThrottled")).toBe(0);
  });

  it("UpstreamUnavailable: Meta too slow for the call's budget (504)", async () => {
    const who = await owner();
    world.sandbox.injectFault({ mode: "hang", path: who.phone.phoneNumberId, count: 1 });
    const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: uniqueUsername("slow") },
    });
    expect(answer.status).toBe(504);
    expect(metrics.linesOf("UpstreamUnavailable")).toEqual([
      expect.objectContaining({ UpstreamUnavailable: 1, method: "POST", status: "504" }),
    ]);
  });

  it("UpstreamThrottled: Meta's business use case throttle passes through and is counted", async () => {
    const who = await owner();
    world.sandbox.injectFault({
      mode: "status",
      example: "business-use-case-throttle",
      path: who.phone.phoneNumberId,
      count: 1,
    });
    const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: uniqueUsername("throttled") },
    });
    expect(answer.status).toBe(429);
    expect(metrics.linesOf("UpstreamThrottled")).toEqual([
      expect.objectContaining({ UpstreamThrottled: 1, status: "429", code: "80007" }),
    ]);
    expect(metrics.count("UpstreamUnavailable")).toBe(0);
  });

  it("a refusal of Meta's (4xx, not a throttle) is no trouble: nothing counted", async () => {
    const [holder, who] = await Promise.all([owner(), owner()]);
    const username = uniqueUsername("taken");
    const first = await callUsernameApi("claim", holder.phone.phoneNumberId, {
      apiKey: holder.tenant.apiKey,
      body: { username },
    });
    expect(first.status).toBe(200);
    const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username },
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(metrics.lines()).toEqual([]);
  });
});

describe("storage in trouble", () => {
  it.each(["ServiceUnavailable", "ProvisionedThroughputExceededException"])(
    "StorageUnavailable: %s on every call answers 503 and counts once",
    async (fault) => {
      const who = await owner();
      const restore = injectStorageFaults(() => storageError(fault));
      try {
        const answer = await callUsernameApi("get", who.phone.phoneNumberId, { apiKey: who.tenant.apiKey });
        expect(answer.status).toBe(503);
      } finally {
        restore();
      }
      expect(metrics.linesOf("StorageUnavailable")).toEqual([
        expect.objectContaining({ StorageUnavailable: 1, errorName: fault }),
      ]);
    },
  );

  it("StorageUnavailable: the state write fails after Meta acted (Meta's answer still returned)", async () => {
    const who = await owner();
    const restore = injectStorageFaults((command, _, input) =>
      writeKind(command, input) === "state" ? storageError("ServiceUnavailable") : undefined,
    );
    try {
      const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body: { username: uniqueUsername("unrecorded") },
      });
      expect(answer.status).toBe(200);
    } finally {
      restore();
    }
    expect(metrics.linesOf("StorageUnavailable")).toEqual([
      expect.objectContaining({ StorageUnavailable: 1, phoneNumberId: who.phone.phoneNumberId }),
    ]);
  });

  it("a conditional write that loses a race is no outage: nothing counted", async () => {
    const who = await owner();
    const restore = injectStorageFaults((command, _, input) =>
      writeKind(command, input) === "state" ? storageError("TransactionCanceledException") : undefined,
    );
    try {
      await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body: { username: uniqueUsername("race") },
      });
    } finally {
      restore();
    }
    expect(metrics.count("StorageUnavailable")).toBe(0);
  });
});

describe("Meta's webhook", () => {
  it("WebhookSignatureInvalid: a forged signature and a missing one, each 401 and counted", async () => {
    const body = JSON.stringify({ object: "whatsapp_business_account", entry: [] });
    expect((await postWebhook(body, { secret: "not-the-app-secret" })).status).toBe(401);
    expect((await postWebhook(body, { signature: null })).status).toBe(401);
    expect(metrics.linesOf("WebhookSignatureInvalid").map((line) => line.signature)).toEqual([
      "invalid",
      "missing",
    ]);
    // A good signature counts nothing.
    expect((await postWebhook(body)).status).toBe(200);
    expect(metrics.count("WebhookSignatureInvalid")).toBe(2);
  });

  it("UnknownPhoneNumber: a change for a number nobody registered, acknowledged and counted", async () => {
    const wabaId = uniqueDigits(15);
    const answer = await postEvents([
      webhookEvent(
        { wabaId, displayPhoneNumber: "+1 555 010 9999" },
        nowSeconds(),
        "approved",
        "nobody_here",
      ),
    ]);
    expect(answer.status).toBe(200);
    expect(metrics.linesOf("UnknownPhoneNumber")).toEqual([
      expect.objectContaining({ UnknownPhoneNumber: 1, wabaId }),
    ]);
  });

  it("UsernameRevoked: Meta's revocation is counted once, not again when Meta redelivers it", async () => {
    const who = await owner();
    const time = nowSeconds() - 10;
    await postEvents([webhookEvent(who.phone, time, "approved", uniqueUsername("revoke"))]);
    expect(metrics.count("UsernameRevoked")).toBe(0);
    const revocation = [webhookEvent(who.phone, time + 1, "deleted", undefined, "revoked")];
    expect((await postEvents(revocation)).status).toBe(200);
    expect((await postEvents(revocation)).status).toBe(200);
    expect(metrics.linesOf("UsernameRevoked")).toEqual([
      expect.objectContaining({ UsernameRevoked: 1, phoneNumberId: who.phone.phoneNumberId }),
    ]);
  });
});

describe("the reconciler", () => {
  it("DriftDetected: Meta changed without telling us; counted once, not when the record agrees", async () => {
    const who = await owner();
    world.sandbox.updatePhone(who.phone.phoneNumberId, {
      username: uniqueUsername("drift"),
      status: "approved",
    });
    expect(await reconcileNumber(who.phone.phoneNumberId)).toMatchObject({ result: "recorded" });
    expect(await reconcileNumber(who.phone.phoneNumberId)).toMatchObject({ result: "confirmed" });
    expect(metrics.linesOf("DriftDetected")).toEqual([
      expect.objectContaining({ DriftDetected: 1, phoneNumberId: who.phone.phoneNumberId }),
    ]);
  });

  it("IntentReconciled: a change whose answer could not be read is settled by the next run", async () => {
    const who = await owner();
    world.sandbox.injectFault({ mode: "garbage", path: who.phone.phoneNumberId, count: 1 });
    const answer = await callUsernameApi("claim", who.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      body: { username: uniqueUsername("unread") },
    });
    expect(answer.status).toBe(502);
    expect(metrics.count("IntentReconciled")).toBe(0);
    const { outcomes } = await runReconciler({ deadline: Date.now() + 60_000 });
    expect(outcomes).toContainEqual(expect.objectContaining({ phoneNumberId: who.phone.phoneNumberId }));
    // Earlier tests of this file leave numbers unresolved too: the run settles (and counts) them all.
    const settled = outcomes.filter((o) => o.result === "recorded" || o.result === "confirmed");
    expect(metrics.count("IntentReconciled")).toBe(settled.length);
    expect(
      metrics.linesOf("IntentReconciled").filter((line) => line.phoneNumberId === who.phone.phoneNumberId),
    ).toEqual([expect.objectContaining({ IntentReconciled: 1 })]);
  });
});

describe("tenant webhooks", { timeout: 60_000 }, () => {
  it("EventDeliveryFailed per failed attempt, EventDeliveryExhausted when the last one fails", async () => {
    const who = await owner();
    const receiver = await startTenantEndpoint();
    receiver.answerWith(() => ({ status: 500, body: "down" }));
    const endpoint = await addEndpoint(who.tenant.tenantId, receiver.url);
    try {
      await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body: { username: uniqueUsername("undelivered") },
      });
      await receiver.waitFor((requests) => requests.length === ATTEMPTS);
      await expect.poll(() => metrics.count("EventDeliveryExhausted")).toBe(1);
      expect(metrics.count("EventDeliveryFailed")).toBe(ATTEMPTS);
      for (const line of [
        ...metrics.linesOf("EventDeliveryFailed"),
        ...metrics.linesOf("EventDeliveryExhausted"),
      ]) {
        expect(line).toMatchObject({ tenantId: who.tenant.tenantId, endpointId: endpoint.id });
      }
    } finally {
      await receiver.close();
    }
  });

  it("an endpoint the operator removed ends its pending retries without counting a failure", async () => {
    const who = await owner();
    const receiver = await startTenantEndpoint();
    // The first attempt fails slowly: the endpoint is removed while it is in flight, so the
    // retry after it finds no endpoint.
    receiver.answerWith(() => ({ status: 500, delayMs: 1_500 }));
    const endpoint = await addEndpoint(who.tenant.tenantId, receiver.url);
    try {
      await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body: { username: uniqueUsername("removed") },
      });
      await receiver.waitFor((requests) => requests.length === 1);
      await removeEndpointById(endpoint.id);
      await expect
        .poll(async () => (await deliveryLog(who.tenant.tenantId, { failed: true, limit: 10 }))[0]?.lastError)
        .toBe("endpoint removed");
      expect(metrics.count("EventDeliveryFailed")).toBe(1);
      expect(metrics.count("EventDeliveryExhausted")).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it("a delivery that succeeds on a retry fails once and is not exhausted", async () => {
    const who = await owner();
    const receiver = await startTenantEndpoint();
    receiver.answerWith((n) => (n === 0 ? { status: 503 } : { status: 204 }));
    await addEndpoint(who.tenant.tenantId, receiver.url);
    try {
      await callUsernameApi("claim", who.phone.phoneNumberId, {
        apiKey: who.tenant.apiKey,
        body: { username: uniqueUsername("late") },
      });
      await receiver.waitFor((requests) => requests.length === 2);
      await expect.poll(() => metrics.count("EventDeliveryFailed")).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(metrics.count("EventDeliveryFailed")).toBe(1);
      expect(metrics.count("EventDeliveryExhausted")).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});

describe("overlapping invocations (the local gateway runs them in one process)", () => {
  it("each failing request writes its own line, with its own number, none lost or merged", async () => {
    const owners = await Promise.all(Array.from({ length: 6 }, () => owner()));
    // Half of them find Meta down (their lines must name exactly them), the others find it slow,
    // so the six invocations overlap.
    const failing = owners.slice(0, 3);
    for (const { phone } of failing) {
      world.sandbox.injectFault({ mode: "status", status: 500, path: phone.phoneNumberId, count: 3 });
    }
    for (const { phone } of owners.slice(3)) {
      world.sandbox.injectFault({ mode: "slow", delayMs: 100, path: phone.phoneNumberId, count: 1 });
    }
    const answers = await Promise.all(
      owners.map(({ tenant, phone }) =>
        fetch(`${pipeline.gateway.url}/meta/whatsapp/v24.0/${phone.phoneNumberId}/username`, {
          headers: { "x-api-key": tenant.apiKey },
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([500, 500, 500, 200, 200, 200]);
    const lines = metrics.linesOf("UpstreamUnavailable");
    expect(lines.map((line) => line.UpstreamUnavailable)).toEqual([1, 1, 1]);
    expect(lines.map((line) => line.phoneNumberId).sort()).toEqual(
      failing.map(({ phone }) => phone.phoneNumberId).sort(),
    );
  });
});
