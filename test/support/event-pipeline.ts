/**
 * A test file's event pipeline and HTTP front door, on top of its world (test/support/world.ts):
 * the local event runtime (stream poller → sequencer, in-process queue → dispatcher, retry
 * sweep: dev/local-events.ts) and the local gateway serving infra/routes.ts over real HTTP.
 * Call after useWorld({ stream: true }): its table, with its stream, must exist first.
 */
import { afterAll, beforeAll, vi } from "vitest";
import { type LocalEvents, startLocalEvents } from "../../dev/local-events.ts";
import { type LocalGateway, startLocalGateway } from "../../dev/local-gateway.ts";
import type { World } from "./world.ts";

export interface EventPipeline {
  gateway: LocalGateway;
  events: LocalEvents;
  /** GET over HTTP through the gateway with the tenant's key; the parsed JSON body and status. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked structurally by each test's expect()
  get(path: string, apiKey: string): Promise<{ status: number; json: any }>;
}

export interface EventPipelineOptions {
  sweepIntervalMs?: number;
  /** The dispatcher's timeout (its Lambda context and the local queue's), default its sizing's. */
  dispatcherTimeoutMs?: number;
}

export function useEventPipeline(world: World, options: EventPipelineOptions = {}): EventPipeline {
  if (!world.stream)
    throw new Error("the event pipeline reads the table's stream: call useWorld({ stream: true })");
  // What a test waits for passes through the stream, the queue and HTTP: seconds on a busy machine.
  vi.setConfig({ expect: { poll: { timeout: 15_000 } } });
  const pipeline = {} as EventPipeline;
  beforeAll(async () => {
    pipeline.gateway = await startLocalGateway({ log: false });
    pipeline.events = await startLocalEvents({
      dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT as string,
      tableName: world.tableName,
      pollIntervalMs: 25,
      sweepIntervalMs: options.sweepIntervalMs ?? 200,
      retryDelayMs: 200,
      ...(options.dispatcherTimeoutMs !== undefined
        ? { dispatcherTimeoutMs: options.dispatcherTimeoutMs }
        : {}),
      log: () => undefined,
    });
    pipeline.get = async (path, apiKey) => {
      const response = await fetch(`${pipeline.gateway.url}${path}`, { headers: { "x-api-key": apiKey } });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined };
    };
  });
  afterAll(async () => {
    await pipeline.events?.stop();
    await pipeline.gateway?.close();
  });
  return pipeline;
}
