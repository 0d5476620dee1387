/**
 * 2. Added latency: each endpoint through its Lambda handler (in-process, real events, DynamoDB
 * Local, warm container) against the very same upstream request made directly to the sandbox,
 * with the sandbox answering after a fixed delay. Calls alternate handler/direct (and which goes
 * first) so both see the same machine. Every POST claims a new name and every DELETE removes a
 * name claimed just before (untimed), so both always write, as they do in real use.
 */
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { getPhone } from "../functions/core/store/phones.ts";
import { type BenchEnvironment, type BenchPhone, seedPhones, seedTenant } from "./environment.ts";
import type { Budget, Section } from "./section.ts";
import { table } from "./section.ts";
import { callSandboxDirectly, ENDPOINTS, type Endpoint, type Service } from "./service.ts";
import { summarize } from "./stats.ts";

export const SANDBOX_DELAY_MS = 50;
const CONCURRENCY = 10;
/** A sequential POST's or DELETE's added latency, against its own DynamoDB calls made directly. */
export const ADDED_TO_STORE_FLOOR_LIMIT = 2;

interface Sample {
  handler: number;
  direct: number;
  /** POST and DELETE, sequential: the same DynamoDB calls made directly, back to back. */
  floor?: number;
}

/**
 * The DynamoDB calls of an uncontended POST or DELETE made directly through the store (no HTTP
 * event, no API key, no Meta): the turn on an empty line (ownership, the tenant's counter and the
 * lease in one transaction), the record read inside it, the state transaction that ends it.
 * Returns the time they took (ms).
 */
async function storeCallsDirectly(
  phone: BenchPhone,
  tenantId: string,
  operation: "claim" | "delete",
  username: string,
): Promise<number> {
  // Imported here, after the environment is set: the service's logger reads its level when loaded.
  const { tenantMetaWindow } = await import("../functions/core/rate-limit/tenant-meta-limit.ts");
  const { claimEmptyLine } = await import("../functions/core/store/number-line.ts");
  const { commitUsernameChange } = await import("../functions/core/store/state-committer.ts");
  const started = performance.now();
  const counter = tenantMetaWindow(tenantId);
  const turn = await claimEmptyLine({
    phoneNumberId: phone.phoneNumberId,
    owner: `floor-${started}`,
    operation,
    ...(operation === "claim" ? { username } : {}),
    leaseUntil: Date.now() + 25_000,
    tenantId,
    ...(counter ? { counter } : {}),
  });
  if (typeof turn !== "object") throw new Error(`the floor's turn was not taken: ${turn}`);
  const record = await getPhone(phone.phoneNumberId, true);
  const sentAt = Date.now();
  const outcome = await commitUsernameChange({
    phoneNumberId: phone.phoneNumberId,
    ...(record ? { record } : {}),
    lease: turn.claimed,
    changes: [
      {
        kind: "answer",
        source: "api",
        state: operation === "claim" ? { username, status: "reserved" } : { status: "deleted" },
        observation: { kind: "write", sentAt, receivedAt: sentAt },
        ...(record ? { readBeforeSent: record.version } : {}),
      },
    ],
  });
  if (!outcome.applied) throw new Error(`the floor's change was not applied: ${JSON.stringify(outcome)}`);
  return performance.now() - started;
}

export async function addedLatency(
  env: BenchEnvironment,
  service: Service,
  options: { sequential: number; perWorker: number },
): Promise<Section> {
  const tenant = await seedTenant();
  const phones = await seedPhones(env, tenant, CONCURRENCY * 2);
  const workers = Array.from({ length: CONCURRENCY }, (_, i) => ({
    viaHandler: phones[2 * i] as BenchPhone,
    direct: phones[2 * i + 1] as BenchPhone,
  }));
  const [floorPhone] = await seedPhones(env, tenant, 1);
  let names = 0;
  const nextName = () => `bench_lat_${++names}`;

  async function once(
    endpoint: Endpoint,
    worker: (typeof workers)[number],
    flip: boolean,
    withFloor = false,
  ): Promise<Sample> {
    const floor = async (): Promise<number | undefined> => {
      if (!withFloor || !floorPhone || (endpoint !== "POST username" && endpoint !== "DELETE username")) {
        return undefined;
      }
      if (endpoint === "DELETE username")
        await storeCallsDirectly(floorPhone, tenant.tenantId, "claim", nextName());
      return storeCallsDirectly(
        floorPhone,
        tenant.tenantId,
        endpoint === "POST username" ? "claim" : "delete",
        nextName(),
      );
    };
    const bodyFor = () => (endpoint === "POST username" ? { username: nextName() } : undefined);
    if (endpoint === "DELETE username") {
      await service.call("POST username", worker.viaHandler, tenant.apiKey, { username: nextName() });
      await callSandboxDirectly(env.sandbox.url, "POST username", worker.direct, { username: nextName() });
    }
    const timeHandler = async () => {
      const started = performance.now();
      const answer = await service.call(endpoint, worker.viaHandler, tenant.apiKey, bodyFor());
      const elapsed = performance.now() - started;
      if (answer.status !== 200) throw new Error(`${endpoint} answered ${answer.status}: ${answer.body}`);
      return elapsed;
    };
    const timeDirect = async () => {
      const started = performance.now();
      const status = await callSandboxDirectly(env.sandbox.url, endpoint, worker.direct, bodyFor());
      const elapsed = performance.now() - started;
      if (status !== 200) throw new Error(`direct ${endpoint} answered ${status}`);
      return elapsed;
    };
    const floorMs = await floor();
    const measured = flip
      ? { direct: await timeDirect(), handler: await timeHandler() }
      : { handler: await timeHandler(), direct: await timeDirect() };
    return { ...measured, ...(floorMs !== undefined ? { floor: floorMs } : {}) };
  }

  env.sandbox.setDelay(SANDBOX_DELAY_MS);
  const rows: string[][] = [];
  const floorRows: string[][] = [];
  const budgets: Budget[] = [];
  try {
    for (const endpoint of ENDPOINTS) {
      // Warm-up: JIT, the API key cache, keep-alive connections.
      for (let i = 0; i < 3; i++) await once(endpoint, workers[0] as (typeof workers)[number], i % 2 === 1);

      const sequential: Sample[] = [];
      for (let i = 0; i < options.sequential; i++) {
        sequential.push(await once(endpoint, workers[0] as (typeof workers)[number], i % 2 === 1, true));
      }
      const concurrent: Sample[] = [];
      const settled = await mapWithConcurrency(workers, CONCURRENCY, async (worker) => {
        for (let i = 0; i < options.perWorker; i++)
          concurrent.push(await once(endpoint, worker, i % 2 === 1));
      });
      const failed = settled.find((s) => s.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;

      const floors = sequential.flatMap((s) => (s.floor === undefined ? [] : [s.floor]));
      if (floors.length > 0) {
        const added =
          summarize(sequential.map((s) => s.handler)).p50 - summarize(sequential.map((s) => s.direct)).p50;
        const floor = summarize(floors);
        const ratio = added / floor.p50;
        floorRows.push([
          endpoint,
          String(floors.length),
          `${floor.p50.toFixed(1)} / ${floor.p99.toFixed(1)}`,
          added.toFixed(1),
          ratio.toFixed(2),
        ]);
        budgets.push({
          name: `${endpoint}, sequential: added p50 ≤ ${ADDED_TO_STORE_FLOOR_LIMIT} × its DynamoDB calls made directly`,
          measured: `${ratio.toFixed(2)} × (${added.toFixed(1)} / ${floor.p50.toFixed(1)} ms)`,
          limit: `${ADDED_TO_STORE_FLOOR_LIMIT}`,
          pass: ratio <= ADDED_TO_STORE_FLOOR_LIMIT,
        });
      }

      for (const [mode, samples] of [
        ["sequential", sequential],
        [`concurrency ${CONCURRENCY}`, concurrent],
      ] as const) {
        const handler = summarize(samples.map((s) => s.handler));
        const direct = summarize(samples.map((s) => s.direct));
        rows.push([
          endpoint,
          mode,
          String(samples.length),
          `${direct.p50.toFixed(1)} / ${direct.p99.toFixed(1)}`,
          `${handler.p50.toFixed(1)} / ${handler.p99.toFixed(1)}`,
          `**${(handler.p50 - direct.p50).toFixed(1)}** / ${(handler.p99 - direct.p99).toFixed(1)}`,
        ]);
      }
    }
  } finally {
    env.sandbox.setDelay(0);
  }

  // The store's own round trip, through the service's client, for scale.
  const probe = workers[0]?.viaHandler as BenchPhone;
  const sequentialRtt: number[] = [];
  for (let i = 0; i < 60; i++) {
    const started = performance.now();
    await getPhone(probe.phoneNumberId);
    if (i >= 10) sequentialRtt.push(performance.now() - started);
  }
  const concurrentRtt: number[] = [];
  await mapWithConcurrency(workers, CONCURRENCY, async (worker) => {
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await getPhone(worker.viaHandler.phoneNumberId);
      concurrentRtt.push(performance.now() - started);
    }
  });
  const seq = summarize(sequentialRtt);
  const conc = summarize(concurrentRtt);

  return {
    title: "2. Added latency",
    lines: [
      `Sandbox delay ${SANDBOX_DELAY_MS} ms. *direct* = \`fetch\` to the sandbox, *handler* = the Lambda handler ` +
        "in-process (warm container: key cached, connections open); p50 / p99 in ms; *added* = handler − direct " +
        `at the same percentile. With n ≤ 100, p99 is the largest or second-largest sample.`,
      "",
      ...table(["endpoint", "mode", "n", "direct p50 / p99", "handler p50 / p99", "added p50 / p99"], rows),
      "",
      "The floor of a POST and a DELETE: its own DynamoDB calls (the turn on an empty line, the record read " +
        "inside it, the state transaction) made directly through the store on another number, back to back, in " +
        "the same sequential loop. *ratio* = added p50 ÷ floor p50 (ms):",
      "",
      ...table(["endpoint", "n", "floor p50 / p99", "added p50", "ratio"], floorRows),
      "",
      `DynamoDB Local round trip (GetItem through the service's client): sequential p50 ${seq.p50.toFixed(1)} ms, ` +
        `p99 ${seq.p99.toFixed(1)} ms (n ${seq.n}); at concurrency ${CONCURRENCY} p50 ${conc.p50.toFixed(1)} ms, ` +
        `p99 ${conc.p99.toFixed(1)} ms (n ${conc.n}). A warm GET costs one such read (plus a write when Meta's ` +
        "state changed); POST and DELETE take the turn, read the record and write the state (3 calls).",
    ],
    budgets,
  };
}
