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
import type { Section } from "./section.ts";
import { table } from "./section.ts";
import { callSandboxDirectly, ENDPOINTS, type Endpoint, type Service } from "./service.ts";
import { summarize } from "./stats.ts";

export const SANDBOX_DELAY_MS = 50;
const CONCURRENCY = 10;

interface Sample {
  handler: number;
  direct: number;
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
  let names = 0;
  const nextName = () => `bench_lat_${++names}`;

  async function once(endpoint: Endpoint, worker: (typeof workers)[number], flip: boolean): Promise<Sample> {
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
    if (flip) {
      const direct = await timeDirect();
      return { direct, handler: await timeHandler() };
    }
    const handler = await timeHandler();
    return { handler, direct: await timeDirect() };
  }

  env.sandbox.setDelay(SANDBOX_DELAY_MS);
  const rows: string[][] = [];
  try {
    for (const endpoint of ENDPOINTS) {
      // Warm-up: JIT, the API key cache, keep-alive connections.
      for (let i = 0; i < 3; i++) await once(endpoint, workers[0] as (typeof workers)[number], i % 2 === 1);

      const sequential: Sample[] = [];
      for (let i = 0; i < options.sequential; i++) {
        sequential.push(await once(endpoint, workers[0] as (typeof workers)[number], i % 2 === 1));
      }
      const concurrent: Sample[] = [];
      const settled = await mapWithConcurrency(workers, CONCURRENCY, async (worker) => {
        for (let i = 0; i < options.perWorker; i++)
          concurrent.push(await once(endpoint, worker, i % 2 === 1));
      });
      const failed = settled.find((s) => s.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;

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
      `DynamoDB Local round trip (GetItem through the service's client): sequential p50 ${seq.p50.toFixed(1)} ms, ` +
        `p99 ${seq.p99.toFixed(1)} ms (n ${seq.n}); at concurrency ${CONCURRENCY} p50 ${conc.p50.toFixed(1)} ms, ` +
        `p99 ${conc.p99.toFixed(1)} ms (n ${conc.n}). A warm GET costs one such read (plus a write when Meta's ` +
        "state changed); POST and DELETE add a TransactWriteItems.",
    ],
    budgets: [],
  };
}
