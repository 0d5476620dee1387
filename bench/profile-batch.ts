/**
 * Where a 1000-change delivery's time goes: `node bin/launch.cjs bench/profile-batch.ts`. One
 * delivery of 1000 numbers × 1 change through the MetaWebhook handler in-process, with every
 * DynamoDB call's start and end recorded: prints the total, the time some call was in flight
 * (the union of the calls' intervals), the time none was (the service's own work: signature,
 * parsing, planning), and the calls in flight over time.
 */
import { enableConcurrentInvocations } from "../dev/gateway/concurrent-invocations.ts";
import { createDocumentClient, setDynamoClient } from "../functions/core/store/client.ts";
import { type BenchPhone, seedPhones, seedTenant, startEnvironment } from "./environment.ts";
import { loadService } from "./service.ts";

await enableConcurrentInvocations();
const env = await startEnvironment();
const service = await loadService();
const tenant = await seedTenant();
const phones = (await seedPhones(env, tenant, 1000, { perWaba: 20, concurrency: 32 })) as BenchPhone[];
const client = createDocumentClient();
const intervals: Array<{ name: string; from: number; to: number }> = [];
client.middlewareStack.add(
  (next, context) => async (args) => {
    const from = performance.now();
    try {
      return await next(args);
    } finally {
      intervals.push({
        name: String(context.commandName).replace(/Command$/, ""),
        from,
        to: performance.now(),
      });
    }
  },
  { step: "finalizeRequest", priority: "low", name: "profileTimer" },
);
setDynamoClient(client);
let time = Math.floor(Date.now() / 1000) - 86_400;
const deliver = async (status: string) => {
  time += 10;
  const events = phones.map((p, n) => ({
    wabaId: p.wabaId,
    displayPhoneNumber: p.displayPhoneNumber,
    time,
    status,
    username: `profile_batch_${n}`,
  }));
  intervals.length = 0;
  const started = performance.now();
  const answer = await service.deliver(events);
  const total = performance.now() - started;
  if (answer.json?.applied !== 1000) throw new Error(answer.body.slice(0, 300));
  return { started, total };
};
try {
  await deliver("reserved");
  await deliver("approved");
  for (let r = 0; r < 3; r++) {
    const { started, total } = await deliver(r % 2 ? "approved" : "reserved");
    const sorted = [...intervals].sort((a, b) => a.from - b.from);
    let busy = 0;
    let end = started;
    for (const i of sorted) {
      if (i.to > end) {
        busy += i.to - Math.max(i.from, end);
        end = i.to;
      }
    }
    const firstCall = (sorted[0]?.from ?? started) - started;
    const lastEnd = Math.max(...sorted.map((i) => i.to)) - started;
    const counts = new Map<string, number>();
    for (const i of sorted) counts.set(i.name, (counts.get(i.name) ?? 0) + 1);
    process.stdout.write(
      `delivery ${r + 1}: total ${total.toFixed(0)} ms; first call at ${firstCall.toFixed(0)} ms, last call ends at ${lastEnd.toFixed(0)} ms; ` +
        `some call in flight ${busy.toFixed(0)} ms, none ${(total - busy).toFixed(0)} ms; ${[...counts].map(([n, c]) => `${n} × ${c}`).join(", ")}\n`,
    );
  }
} finally {
  setDynamoClient(undefined);
  client.destroy();
  await env.stop();
}
