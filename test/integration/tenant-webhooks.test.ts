/**
 * Tenant webhooks end to end, over real HTTP to receivers on loopback: signing (verified with the
 * `standardwebhooks` library, as a tenant would), retries after 5xx answers and timeouts with the
 * same `webhook-id`, failure after the last attempt (visible to the operator, the event still in
 * the feed), redelivery, secret rotation, redirects not followed, bounded response excerpts,
 * removed endpoints. The retry schedule is compressed to 0.3 s steps (WEBHOOK_RETRY_DELAYS).
 */
import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import {
  deliveryLog,
  removeEndpointById,
  rotateEndpointSecret,
} from "../../functions/core/admin/webhooks.ts";
import { logger } from "../../functions/core/logger.ts";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { getDeliveries, scheduleRedelivery } from "../../functions/core/store/webhook-deliveries.ts";
import {
  dispatchDeliveries,
  PARALLEL_PER_ENDPOINT,
} from "../../functions/core/tenant-webhooks/webhook-dispatch.ts";
import { adminProcess } from "../support/admin-process.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { injectStorageFaults, storageError } from "../support/storage-faults.ts";
import { type ReceivedWebhook, startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";
import { callUsernameApi } from "../support/username-client.ts";
import { type SeededPhone, type SeededTenant, seedPhone, seedTenant, useWorld } from "../support/world.ts";

process.env.WEBHOOK_RETRY_DELAYS = "0.3,0.3,0.3";
process.env.WEBHOOK_TIMEOUT_MS = "500";
const ATTEMPTS = 4;

const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON, checked field by field.
type Json = any;

let names = 0;

interface Subject {
  tenant: SeededTenant;
  phone: SeededPhone;
  /** A username change of the number: one event. */
  change(): Promise<string>;
}

async function subject(): Promise<Subject> {
  const tenant = await seedTenant();
  const phone = await seedPhone(world, tenant);
  return {
    tenant,
    phone,
    async change() {
      const username = `hook_name_${++names}`;
      const answer = await callUsernameApi("claim", phone.phoneNumberId, {
        apiKey: tenant.apiKey,
        body: { username },
      });
      expect(answer.status).toBe(200);
      return username;
    },
  };
}

const bodyOf = (request: ReceivedWebhook): Json => JSON.parse(request.body);

/** The tenant's delivery log entry of an event, once it has reached `status`. */
async function deliveryOf(tenantId: string, eventId: string, status: string) {
  let entry: Json;
  await expect
    .poll(
      async () => {
        entry = (await deliveryLog(tenantId, { failed: false, limit: 50 })).find(
          (e) => e.eventId === eventId,
        );
        return entry?.status;
      },
      { timeout: 15_000 },
    )
    .toBe(status);
  return entry;
}

describe("signing", { timeout: 90_000 }, () => {
  it("signs every event per Standard Webhooks: the library verifies it with the endpoint's secret only", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const username = await s.change();
    const [request] = await receiver.waitFor((r) => r.length === 1);
    await receiver.close();
    const event = verifiedEvent(endpoint.secret, request as ReceivedWebhook) as Json;
    expect(event).toMatchObject({ type: "username.updated", data: { username, source: "api" } });
    expect(request?.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": event.id,
      "webhook-signature": expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    expect(Math.abs(Number(request?.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    const other = await addEndpoint(s.tenant.tenantId, "http://127.0.0.1:9/unused");
    expect(() => verifiedEvent(other.secret, request as ReceivedWebhook)).toThrow(WebhookVerificationError);
    const tampered = {
      ...(request as ReceivedWebhook),
      body: (request?.body ?? "").replace(username, "someone_else"),
    };
    expect(() => verifiedEvent(endpoint.secret, tampered)).toThrow(WebhookVerificationError);
  });
});

describe("retries", { timeout: 90_000 }, () => {
  it("retries after 5xx answers with the same webhook-id and body until a 2xx", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    receiver.answerWith((n) => ({ status: [500, 503][n] ?? 204, body: "not now" }));
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    await s.change();
    const requests = await receiver.waitFor((r) => r.length === 3);
    const ids = new Set(requests.map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    for (const request of requests) verifiedEvent(endpoint.secret, request);
    // Each retry waits for its delay (0.3 s) after the attempt before.
    expect((requests[1]?.at ?? 0) - (requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(250);
    expect((requests[2]?.at ?? 0) - (requests[1]?.at ?? 0)).toBeGreaterThanOrEqual(250);
    const entry = await deliveryOf(s.tenant.tenantId, [...ids][0] as string, "delivered");
    expect(entry).toMatchObject({ attempts: 3, lastResponseStatus: 204, endpointId: endpoint.id });
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(receiver.received()).toHaveLength(3);
    await receiver.close();
  });

  it("retries after timeouts (no answer within WEBHOOK_TIMEOUT_MS)", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    receiver.answerWith((n) => (n < 2 ? { hang: true } : { status: 200 }));
    await addEndpoint(s.tenant.tenantId, receiver.url);
    await s.change();
    const requests = await receiver.waitFor((r) => r.length === 3);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(1);
    const entry = await deliveryOf(
      s.tenant.tenantId,
      requests[0]?.headers["webhook-id"] as string,
      "delivered",
    );
    expect(entry.attempts).toBe(3);
    await receiver.close();
  });

  it("fails after the last attempt: the operator sees it, the event stays in the feed, a short excerpt only", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const longBody = `${"x".repeat(5000)}TAIL_MARKER`;
    receiver.answerWith(() => ({ status: 500, body: longBody }));
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    await s.change();
    const requests = await receiver.waitFor((r) => r.length === ATTEMPTS);
    const eventId = requests[0]?.headers["webhook-id"] as string;
    await deliveryOf(s.tenant.tenantId, eventId, "failed");
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(receiver.received()).toHaveLength(ATTEMPTS);

    const failed = await adminProcess(["webhook", "deliveries", "--tenant", s.tenant.tenantId, "--failed"]);
    expect(failed.code, failed.stderr).toBe(0);
    expect(failed.json.deliveries).toEqual([
      expect.objectContaining({
        eventId,
        endpointId: endpoint.id,
        status: "failed",
        attempts: ATTEMPTS,
        lastResponseStatus: 500,
        lastError: "HTTP 500",
        lastResponseExcerpt: "x".repeat(256),
      }),
    ]);
    const { Item } = await dynamo().send(
      new GetCommand({ TableName: tableName(), Key: keys.delivery(eventId, endpoint.id) }),
    );
    expect(JSON.stringify(Item)).not.toContain("TAIL_MARKER");
    expect(JSON.stringify(Item).length).toBeLessThan(1500);

    const feed = await pipeline.get("/v1/username_changes", s.tenant.apiKey);
    expect(feed.json.data.map((e: Json) => e.id)).toContain(eventId);
    await receiver.close();
  });
});

/** `count` synthetic events of one number, as the sequencer hands them over (first deliveries). */
function syntheticDeliveries(count: number, tag: string) {
  const created = new Date(Date.now() + 1000).toISOString();
  return Array.from({ length: count }, (_, i) => {
    const eventId = `evt_01M8QH${tag}${"Z".repeat(18 - tag.length)}${String(i).padStart(2, "0")}`;
    const event = {
      id: eventId,
      type: "username.updated" as const,
      created_time: created,
      data: {
        phone_number_id: "1",
        waba_id: "2",
        display_phone_number: "3",
        previous: {},
        source: "api" as const,
        origin: "this_service" as const,
      },
    };
    return { eventId, sequence: i + 1, attempts: 0, event };
  });
}

describe("an unreachable endpoint", { timeout: 90_000 }, () => {
  it("costs one timeout per message: at most PARALLEL_PER_ENDPOINT requests, the rest counted as failed attempts unsent", async () => {
    const tenant = await seedTenant();
    const receiver = await startTenantEndpoint();
    receiver.answerWith(() => ({ hang: true }));
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const deliveries = syntheticDeliveries(20, "");
    const summary = await dispatchDeliveries({
      tenantId: tenant.tenantId,
      endpointId: endpoint.id,
      kind: "first",
      deliveries,
    });
    expect(receiver.received()).toHaveLength(PARALLEL_PER_ENDPOINT);
    expect(summary).toMatchObject({ attempted: 20, retrying: 20, delivered: 0 });
    const records = await getDeliveries(
      deliveries.map((d) => ({ eventId: d.eventId, endpointId: endpoint.id })),
    );
    const errors = [...records.values()].map((r) => r.lastError);
    expect(errors.filter((e) => e === "timeout")).toHaveLength(PARALLEL_PER_ENDPOINT);
    expect(errors.filter((e) => e === "not sent: endpoint unreachable (timeout)")).toHaveLength(
      20 - PARALLEL_PER_ENDPOINT,
    );
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });
});

/** POSTs the receiver got per webhook-id. */
function postsPerId(receiver: { received(): ReceivedWebhook[] }): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of receiver.received()) {
    const id = request.headers["webhook-id"] as string;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe("each attempt is sent once", { timeout: 90_000 }, () => {
  it("a first attempt whose outcome was written but answered with an error is neither sent again nor restarted", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    receiver.answerWith(() => ({ status: 500 }));
    await addEndpoint(s.tenant.tenantId, receiver.url);
    // The outcomes' BatchWriteItem is applied, then fails (DynamoDB Local's request timeout under
    // load): the queue message fails and is received again.
    const restore = injectStorageFaults((command, n) =>
      command === "BatchWriteItemCommand" && n === 1
        ? { after: storageError("TimeoutError", "request timed out") }
        : undefined,
    );
    try {
      await s.change();
      const [first] = await receiver.waitFor((r) => r.length >= 1);
      const eventId = first?.headers["webhook-id"] as string;
      const entry = await deliveryOf(s.tenant.tenantId, eventId, "failed");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(postsPerId(receiver)).toEqual(new Map([[eventId, ATTEMPTS]]));
      expect(entry.attempts).toBe(ATTEMPTS);
    } finally {
      restore();
      await receiver.close();
    }
  });

  it("two copies of a first delivery that may have been sent (stream batch twice, message received again) send it once", async () => {
    const tenant = await seedTenant();
    const receiver = await startTenantEndpoint();
    receiver.answerWith(() => ({ status: 204, delayMs: 100 }));
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const deliveries = syntheticDeliveries(6, "AA");
    const target = { tenantId: tenant.tenantId, endpointId: endpoint.id };
    const summaries = await Promise.all([
      dispatchDeliveries({ ...target, kind: "first-again", deliveries }),
      dispatchDeliveries({ ...target, kind: "first-again", deliveries }),
      dispatchDeliveries({ ...target, kind: "first", deliveries }, { redelivered: true }),
    ]);
    expect([...postsPerId(receiver).values()]).toEqual(deliveries.map(() => 1));
    expect(summaries.reduce((sum, x) => sum + x.attempted, 0)).toBe(deliveries.length);
    const records = await getDeliveries(
      deliveries.map((d) => ({ eventId: d.eventId, endpointId: endpoint.id })),
    );
    // One attempt each, recorded once: delivered, or (the machine too busy for the 500 ms budget) a timeout.
    for (const record of records.values()) {
      expect(record.attempts).toBe(1);
      if (record.status !== "delivered")
        expect(record).toMatchObject({ status: "pending", lastError: "timeout" });
    }
    expect(records.size).toBe(deliveries.length);
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });

  it("a retry whose outcome cannot be written still counts: it is not sent again, the next attempt follows on schedule", async () => {
    const tenant = await seedTenant();
    const receiver = await startTenantEndpoint();
    receiver.answerWith(() => ({ status: 500 }));
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const [delivery] = syntheticDeliveries(1, "BB");
    const ref = {
      tenantId: tenant.tenantId,
      endpointId: endpoint.id,
      eventId: delivery?.eventId as string,
      sequence: 1,
    };
    // Due now, as `webhook redeliver` leaves it: the next attempt is the first of a round.
    await scheduleRedelivery(ref);
    const message = {
      tenantId: tenant.tenantId,
      endpointId: endpoint.id,
      kind: "retry" as const,
      deliveries: [{ ...(delivery as NonNullable<typeof delivery>), attempts: 0 }],
    };
    // The claim (UpdateItem 1) passes; the outcome's write (UpdateItem 2) fails.
    const restore = injectStorageFaults((command, n) =>
      command === "UpdateItemCommand" && n === 2 ? storageError("InternalServerError") : undefined,
    );
    const started = Date.now();
    try {
      await expect(dispatchDeliveries(message)).rejects.toThrow("injected storage fault");
    } finally {
      restore();
    }
    expect(receiver.received()).toHaveLength(1);
    const [record] = (await getDeliveries([ref])).values();
    expect(record).toMatchObject({ status: "pending", attempts: 1 });
    // Not before the attempt's lease is over plus the first delay (0.3 s).
    expect(record?.nextAttemptAt).toBeGreaterThanOrEqual(started + 500 + 60_000 + 300);
    // The message received again (SQS retries it) sends nothing: the attempt is taken.
    expect(await dispatchDeliveries(message, { redelivered: true })).toMatchObject({
      attempted: 0,
      skipped: 1,
    });
    expect(receiver.received()).toHaveLength(1);
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });
});

describe("a last attempt whose outcome was never recorded", { timeout: 90_000 }, () => {
  it("ends the delivery failed once its lease is over, without sending it again", async () => {
    const tenant = await seedTenant();
    const receiver = await startTenantEndpoint();
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const [delivery] = syntheticDeliveries(1, "CC");
    const eventId = delivery?.eventId as string;
    const ref = { tenantId: tenant.tenantId, endpointId: endpoint.id, eventId, sequence: 1 };
    await scheduleRedelivery(ref);
    // As a claim of the last attempt leaves it when its holder never records: counted, due at the lease's end.
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.delivery(eventId, endpoint.id),
        UpdateExpression: "SET attempts = :last, nextAttemptAt = :past",
        ExpressionAttributeValues: { ":last": ATTEMPTS, ":past": Date.now() - 1 },
      }),
    );
    const summary = await dispatchDeliveries({
      tenantId: tenant.tenantId,
      endpointId: endpoint.id,
      kind: "retry",
      deliveries: [{ ...(delivery as NonNullable<typeof delivery>), attempts: ATTEMPTS }],
    });
    expect(summary).toMatchObject({ attempted: 0, skipped: 1 });
    expect(receiver.received()).toEqual([]);
    const [record] = (await getDeliveries([ref])).values();
    expect(record).toMatchObject({
      status: "failed",
      attempts: ATTEMPTS,
      lastError: "outcome of the last attempt not recorded",
    });
    expect(record?.nextAttemptAt).toBeUndefined();
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });
});

describe("redelivery", { timeout: 90_000 }, () => {
  it("sends a failed event again with the same webhook-id when the operator asks", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    let healthy = false;
    receiver.answerWith(() => ({ status: healthy ? 204 : 502 }));
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    await s.change();
    const failedAttempts = await receiver.waitFor((r) => r.length === ATTEMPTS);
    const eventId = failedAttempts[0]?.headers["webhook-id"] as string;
    await deliveryOf(s.tenant.tenantId, eventId, "failed");

    healthy = true;
    const redeliver = await adminProcess(["webhook", "redeliver", eventId]);
    expect(redeliver.code, redeliver.stderr).toBe(0);
    expect(redeliver.json).toEqual({ eventId, tenantId: s.tenant.tenantId, endpointIds: [endpoint.id] });
    const requests = await receiver.waitFor((r) => r.length === ATTEMPTS + 1);
    expect(requests.at(-1)?.headers["webhook-id"]).toBe(eventId);
    expect(bodyOf(requests.at(-1) as ReceivedWebhook)).toEqual(bodyOf(requests[0] as ReceivedWebhook));
    expect(await deliveryOf(s.tenant.tenantId, eventId, "delivered")).toMatchObject({ attempts: 1 });
    const stillFailed = await adminProcess([
      "webhook",
      "deliveries",
      "--tenant",
      s.tenant.tenantId,
      "--failed",
    ]);
    expect(stillFailed.json.deliveries).toEqual([]);
    await receiver.close();
  });

  it("refuses an event id no feed holds (exit 1)", async () => {
    const run = await adminProcess(["webhook", "redeliver", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    expect(run.code).toBe(1);
    expect(run.json.error.message).toContain("no event");
  });
});

describe("secret rotation", { timeout: 90_000 }, () => {
  it("without an overlap, signs with the new secret from the rotation on, retries of earlier events included: the old one is rejected", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    let newSecret: string | undefined;
    // Before the rotation: the first event is taken, the second refused (so it is retried after the
    // rotation). After it: a request is taken only if it verifies under the new secret.
    receiver.answerWith((n, request) => {
      if (!newSecret) return { status: n === 0 ? 204 : 500 };
      try {
        verifiedEvent(newSecret, request);
        return { status: 204 };
      } catch {
        return { status: 401 };
      }
    });
    await s.change();
    const [before] = await receiver.waitFor((r) => r.length === 1);
    expect(verifiedEvent(endpoint.secret, before as ReceivedWebhook)).toBeTruthy();
    await s.change();
    const [, refused] = await receiver.waitFor((r) => r.length === 2);
    const rotated = await rotateEndpointSecret(endpoint.id, { overlapSeconds: 0 });
    newSecret = rotated.secret;
    expect(rotated).toEqual({ id: endpoint.id, url: endpoint.url, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.secret).not.toBe(endpoint.secret);
    await s.change();

    const secondId = refused?.headers["webhook-id"] as string;
    const acceptedUnderNew = (requests: ReceivedWebhook[]) =>
      requests.slice(2).filter((request) => {
        try {
          verifiedEvent(rotated.secret, request);
          return true;
        } catch {
          return false;
        }
      });
    const requests = await receiver.waitFor(
      (r) => new Set(acceptedUnderNew(r).map((x) => x.headers["webhook-id"])).size === 2,
    );
    const accepted = acceptedUnderNew(requests);
    expect(accepted.map((r) => r.headers["webhook-id"])).toContain(secondId);
    for (const request of accepted) {
      expect(() => verifiedEvent(endpoint.secret, request)).toThrow(WebhookVerificationError);
    }
    await receiver.close();
  });
});

describe("secrets in logs", { timeout: 90_000 }, () => {
  it("never logs an endpoint's secret or its URL (which may carry a token), at DEBUG level", async () => {
    const captured: string[] = [];
    const capture = (chunk: unknown) => {
      captured.push(
        typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : String(chunk),
      );
    };
    logger.setLogLevel("DEBUG");
    const spies = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, "write").mockImplementation(((chunk: unknown) => {
        capture(chunk);
        return true;
      }) as typeof stream.write),
    );
    try {
      const s = await subject();
      const receiver = await startTenantEndpoint("/hooks?token=url-secret-4711");
      receiver.answerWith((n) => ({ status: n === 0 ? 500 : 204 }));
      const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
      await s.change();
      await receiver.waitFor((r) => r.length === 2);
      const rotated = await rotateEndpointSecret(endpoint.id);
      await s.change();
      await receiver.waitFor((r) => r.length === 3);
      await receiver.close();
      const logs = captured.join("\n");
      expect(logs).toContain("webhook deliveries attempted");
      for (const secret of [endpoint.secret, rotated.secret]) {
        expect(logs).not.toContain(secret.slice("whsec_".length));
      }
      expect(logs).not.toContain("url-secret-4711");
    } finally {
      for (const spy of spies) spy.mockRestore();
      logger.setLogLevel("SILENT");
    }
  });
});

describe("endpoints", { timeout: 90_000 }, () => {
  it("never follows a redirect: the attempt fails and the other URL gets nothing", async () => {
    const s = await subject();
    const target = await startTenantEndpoint();
    const receiver = await startTenantEndpoint();
    receiver.answerWith(() => ({ status: 307, headers: { location: target.url } }));
    await addEndpoint(s.tenant.tenantId, receiver.url);
    await s.change();
    const requests = await receiver.waitFor((r) => r.length === ATTEMPTS);
    const entry = await deliveryOf(s.tenant.tenantId, requests[0]?.headers["webhook-id"] as string, "failed");
    expect(entry.lastError).toBe("redirect (HTTP 307) not followed");
    expect(target.received()).toEqual([]);
    await Promise.all([receiver.close(), target.close()]);
  });

  it("sends nothing more to a removed endpoint, and ends its pending retries", async () => {
    const s = await subject();
    const receiver = await startTenantEndpoint();
    receiver.answerWith(() => ({ status: 500 }));
    const endpoint = await addEndpoint(s.tenant.tenantId, receiver.url);
    await s.change();
    const [first] = await receiver.waitFor((r) => r.length >= 1);
    await removeEndpointById(endpoint.id);
    await expect
      .poll(async () => (await deliveryLog(s.tenant.tenantId, { failed: true, limit: 10 }))[0]?.lastError, {
        timeout: 15_000,
      })
      .toBe("endpoint removed");
    const count = receiver.received().length;
    await s.change();
    await expect
      .poll(async () => (await pipeline.get("/v1/username_changes", s.tenant.apiKey)).json.data.length)
      .toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(receiver.received()).toHaveLength(count);
    expect(receiver.received().every((r) => r.headers["webhook-id"] === first?.headers["webhook-id"])).toBe(
      true,
    );
    await receiver.close();
  });

  it("sends an endpoint only events recorded after it was added", async () => {
    const s = await subject();
    await s.change();
    await expect
      .poll(async () => (await pipeline.get("/v1/username_changes", s.tenant.apiKey)).json.data.length)
      .toBe(1);
    const receiver = await startTenantEndpoint();
    await addEndpoint(s.tenant.tenantId, receiver.url);
    const username = await s.change();
    const [request] = await receiver.waitFor((r) => r.length === 1);
    expect(bodyOf(request as ReceivedWebhook).data.username).toBe(username);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.received()).toHaveLength(1);
    await receiver.close();
  });
});
