/**
 * Where a sequential POST's time goes: `node bin/launch.cjs bench/profile-post.ts [count]`.
 * Sequential POSTs (a new name each) through the ClaimUsername handler in-process, warm, against
 * DynamoDB Local and the sandbox (no delay), with each DynamoDB call and the Meta call timed as
 * they go out; the rest of the handler's time is the service's own code (parsing, validation,
 * signing of nothing, logging, the event loop). Prints the medians per part. Add
 * `--cpu-prof --cpu-prof-dir=.data/profile` to the node command for a CPU profile of the same run.
 */

import { enableConcurrentInvocations } from "../dev/gateway/concurrent-invocations.ts";
import { createDocumentClient, setDynamoClient } from "../functions/core/store/client.ts";
import { type BenchPhone, seedPhones, seedTenant, startEnvironment } from "./environment.ts";
import { loadService } from "./service.ts";
import { median } from "./stats.ts";

await enableConcurrentInvocations();
const count = Number(process.argv[2] ?? 200);
const env = await startEnvironment();
const service = await loadService();
const tenant = await seedTenant();
const [phone] = (await seedPhones(env, tenant, 1)) as [BenchPhone];

const client = createDocumentClient();
let storeMs = 0;
const perCommand = new Map<string, number[]>();
client.middlewareStack.add(
  (next, context) => async (args) => {
    const started = performance.now();
    try {
      return await next(args);
    } finally {
      const took = performance.now() - started;
      storeMs += took;
      const name = String(context.commandName).replace(/Command$/, "");
      perCommand.set(name, [...(perCommand.get(name) ?? []), took]);
    }
  },
  { step: "finalizeRequest", priority: "low", name: "profileTimer" },
);
setDynamoClient(client);

const rows = { total: [] as number[], store: [] as number[], meta: [] as number[], rest: [] as number[] };
try {
  for (let i = 0; i < count + 20; i++) {
    storeMs = 0;
    const metaBefore = env.sandbox.requests().length;
    const started = performance.now();
    const answer = await service.call("POST username", phone, tenant.apiKey, { username: `profile_${i}` });
    const total = performance.now() - started;
    if (answer.status !== 200 || env.sandbox.requests().length !== metaBefore + 1) {
      throw new Error(`POST answered ${answer.status}: ${answer.body}`);
    }
    if (i < 20) continue; // warm-up: JIT, key cache, connections
    // Meta's share: the same request straight to the sandbox, right after.
    const metaStarted = performance.now();
    await fetch(`${env.sandbox.url}/v24.0/${phone.phoneNumberId}/username`, {
      method: "POST",
      headers: { authorization: `Bearer ${phone.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ username: `profile_direct_${i}` }),
    }).then((r) => r.text());
    const meta = performance.now() - metaStarted;
    rows.total.push(total);
    rows.store.push(storeMs);
    rows.meta.push(meta);
    rows.rest.push(total - storeMs - meta);
  }
  const line = (label: string, values: number[]) => `${label.padEnd(36)} ${median(values).toFixed(2)} ms`;
  process.stdout.write(
    [
      `${count} sequential POSTs (medians):`,
      line("handler, end to end", rows.total),
      line("DynamoDB calls (sum)", rows.store),
      ...[...perCommand].map(([name, values]) => line(`  ${name} (each)`, values)),
      line("Meta (the same request, direct)", rows.meta),
      line("the service's own code", rows.rest),
      "",
    ].join("\n"),
  );
} finally {
  setDynamoClient(undefined);
  client.destroy();
  await env.stop();
}
