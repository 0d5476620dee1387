/**
 * The dispatcher and its invocation's deadline (issue 22, finding 1). An endpoint that answers
 * 200 and then holds its body open for longer than the dispatcher's whole timeout: every attempt
 * is recorded once, none is sent twice (POSTs counted per webhook-id at the receiver), each
 * invocation answers before its deadline, and what it could not attempt goes back to the queue.
 * The dispatcher's timeout is 4 s here (60 s in AWS), an attempt's budget 1 s (10 s in AWS), so
 * one message of 50 deliveries (7 rounds of 8) cannot be done in one invocation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { lambdaContext } from "../../dev/gateway/lambda-context.ts";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { removeEndpointById } from "../../functions/core/admin/webhooks.ts";
import { getDeliveries } from "../../functions/core/store/webhook-deliveries.ts";
import { dispatcherHandler } from "../../functions/core/tenant-webhooks/dispatcher-handler.ts";
import { PARALLEL_PER_ENDPOINT } from "../../functions/core/tenant-webhooks/webhook-dispatch.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { seedTenant, useWorld } from "../support/world.ts";

process.env.WEBHOOK_TIMEOUT_MS = "1000";
process.env.WEBHOOK_RETRY_DELAYS = "1,1";
const DISPATCHER_TIMEOUT_MS = 4_000;
/** Longer than the dispatcher's timeout. */
const BODY_HELD_MS = 10_000;

const world = useWorld({ stream: true });
useEventPipeline(world, { dispatcherTimeoutMs: DISPATCHER_TIMEOUT_MS });

/**
 * A receiver that answers 200 at once and holds the body open (or, `hang`, never answers); it
 * counts POSTs per webhook-id and notes when each connection opened.
 */
async function slowBodyReceiver(onRequest?: (count: number) => void, hang = false) {
  const posts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const connectedAt: number[] = [];
  let count = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      const id = String(req.headers["webhook-id"]);
      posts.set(id, (posts.get(id) ?? 0) + 1);
      onRequest?.(++count);
      if (hang) return;
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("accepted, more to come");
      const timer = setTimeout(() => res.end(), BODY_HELD_MS);
      res.on("close", () => clearTimeout(timer));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    connectedAt.push(Date.now());
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    posts,
    connectedAt,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** `count` synthetic events of one number, as the sequencer hands them over (first deliveries). */
function firstDeliveries(count: number, tag: string) {
  const created = new Date(Date.now() + 1000).toISOString();
  return Array.from({ length: count }, (_, i) => {
    const eventId = `evt_01M8QJ${tag}${"Z".repeat(18 - tag.length)}${String(i).padStart(2, "0")}`;
    return {
      eventId,
      sequence: i + 1,
      attempts: 0,
      event: {
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
      },
    };
  });
}

function sqsEvent(body: unknown): SQSEvent {
  return {
    Records: [
      {
        messageId: "m-1",
        receiptHandle: "r-1",
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: String(Date.now()),
          SenderId: "test",
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:local:123456789012:WebhookQueue",
        awsRegion: "local",
      },
    ],
  };
}

describe("a slow endpoint and the dispatcher's deadline", { timeout: 90_000 }, () => {
  it("answers before its deadline, records every attempt once as it ends, sends none twice, and hands the rest back", async () => {
    const tenant = await seedTenant();
    let recordedWhileRunning: number | undefined;
    let handlerReturned = false;
    let firstRound: string[] = [];
    const receiver = await slowBodyReceiver((count) => {
      // The 9th request starts once the first round of attempts has ended; half an attempt
      // later (the handler still running) the first round's outcomes are written, long before
      // the message is done.
      if (count === PARALLEL_PER_ENDPOINT + 1) {
        // Read until the first round's outcomes are all there or the handler has returned (a
        // loaded machine may take a while to write them): what counts is that they were written
        // while it still ran.
        const look = () => {
          const running = !handlerReturned;
          void getDeliveries(firstRound.map((eventId) => ({ eventId, endpointId: endpoint.id }))).then(
            (found) => {
              if (running) recordedWhileRunning = found.size;
              if (running && found.size < PARALLEL_PER_ENDPOINT) setTimeout(look, 100);
            },
          );
        };
        setTimeout(look, 300);
      }
    });
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const deliveries = firstDeliveries(50, "DL");
    firstRound = deliveries.slice(0, PARALLEL_PER_ENDPOINT).map((d) => d.eventId);

    const started = Date.now();
    const answer = await dispatcherHandler(
      sqsEvent({ tenantId: tenant.tenantId, endpointId: endpoint.id, kind: "first", deliveries }),
      lambdaContext("WebhookDispatcher", DISPATCHER_TIMEOUT_MS, 512, started),
    );
    const took = Date.now() - started;
    handlerReturned = true;
    // Done, in time: SQS will not hand this message over again.
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(took).toBeLessThan(DISPATCHER_TIMEOUT_MS);
    expect(recordedWhileRunning).toBe(PARALLEL_PER_ENDPOINT);

    // The rest went back on the queue and further invocations (4 s each) send it.
    await expect.poll(() => receiver.posts.size, { timeout: 60_000 }).toBe(50);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect([...receiver.posts.values()]).toEqual(deliveries.map(() => 1));
    const records = await getDeliveries(
      deliveries.map((d) => ({ eventId: d.eventId, endpointId: endpoint.id })),
    );
    expect(records.size).toBe(50);
    for (const record of records.values()) {
      expect(record).toMatchObject({ status: "delivered", attempts: 1, lastResponseStatus: 200 });
      // The body was read for at most the attempt's budget, never until the endpoint ended it.
      expect(record.lastDurationMs).toBeLessThan(BODY_HELD_MS);
    }
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });

  it("holds at most PARALLEL_PER_ENDPOINT connections to a hanging endpoint, across every message of the container", async () => {
    const tenant = await seedTenant();
    const receiver = await slowBodyReceiver(undefined, true);
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const { dispatchDeliveries } = await import("../../functions/core/tenant-webhooks/webhook-dispatch.ts");
    const started = Date.now();
    const summaries = await Promise.all(
      ["H1", "H2", "H3"].map((tag) =>
        dispatchDeliveries({
          tenantId: tenant.tenantId,
          endpointId: endpoint.id,
          kind: "first",
          deliveries: firstDeliveries(20, tag),
        }),
      ),
    );
    // Nothing is released before the first attempts' budget (1 s) ends: what connected before
    // then is what the three messages together could hold.
    const early = receiver.connectedAt.filter((at) => at < started + 900);
    expect(early).toHaveLength(PARALLEL_PER_ENDPOINT);
    expect(summaries.reduce((sum, s) => sum + s.attempted, 0)).toBe(60);
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });

  it("never waits for one of the endpoint's connection slots past what its own deadline allows", async () => {
    // Messages to one endpoint in one container (the local runtime runs invocations side by
    // side) queue for its slots. One with an early deadline, queued behind three with later ones
    // holding the slots for 1 s attempts, hands its deliveries back when its deadline leaves no
    // room for an attempt, instead of waiting for a slot past it.
    const tenant = await seedTenant();
    const receiver = await slowBodyReceiver(undefined, true);
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const { dispatchDeliveries } = await import("../../functions/core/tenant-webhooks/webhook-dispatch.ts");
    const started = Date.now();
    const message = (tag: string, count: number) => ({
      tenantId: tenant.tenantId,
      endpointId: endpoint.id,
      kind: "first" as const,
      deliveries: firstDeliveries(count, tag),
    });
    const late = started + 20_000;
    const early = started + 2_500;
    // Three rounds of 1 s attempts before a slot frees for the message queued behind them.
    const holders = ["L1", "L2", "L3"].map((tag) => dispatchDeliveries(message(tag, 8), { deadline: late }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const hurried = await dispatchDeliveries(message("E1", 8), { deadline: early });
    const endedAt = Date.now();
    expect(endedAt).toBeLessThan(early);
    expect(hurried).toMatchObject({ attempted: 0, deferred: 8 });
    expect((await Promise.all(holders)).reduce((sum, s) => sum + s.attempted, 0)).toBe(24);
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });

  it("through the pipeline: every event sent once and recorded once although no invocation can finish them all", async () => {
    const tenant = await seedTenant();
    const receiver = await slowBodyReceiver();
    const endpoint = await addEndpoint(tenant.tenantId, receiver.url);
    const deliveries = firstDeliveries(50, "DP");
    const { deliveryQueue } = await import("../../functions/core/tenant-webhooks/delivery-queue.ts");
    await deliveryQueue().send([
      { tenantId: tenant.tenantId, endpointId: endpoint.id, kind: "first", deliveries },
    ]);
    await expect.poll(() => receiver.posts.size, { timeout: 60_000 }).toBe(50);
    // Past the local queue's retry delay and another invocation's length: nothing comes twice.
    await new Promise((resolve) => setTimeout(resolve, DISPATCHER_TIMEOUT_MS + 500));
    expect([...receiver.posts.values()]).toEqual(deliveries.map(() => 1));
    const records = await getDeliveries(
      deliveries.map((d) => ({ eventId: d.eventId, endpointId: endpoint.id })),
    );
    expect([...records.values()].map((r) => [r.status, r.attempts])).toEqual(
      deliveries.map(() => ["delivered", 1]),
    );
    await removeEndpointById(endpoint.id);
    await receiver.close();
  });
});
