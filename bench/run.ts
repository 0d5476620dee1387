/**
 * `npm run bench`: cold start, added latency, DynamoDB calls per request, webhook batch, local
 * gateway throughput, the change feed's webhook delivery, contention and the tenant console,
 * measured side by side in one run. Prints the report and writes it into
 * docs/benchmarks.md (between the generated-section markers; the hand-written before/after log
 * below them is kept).
 *
 *   npm run bench                  full run (a few minutes)
 *   npm run bench -- --check       exit 1 when a budget is exceeded
 *   npm run bench -- --quick       fewer repeats, for a quick look (figures are noisier)
 *   npm run bench -- --only calls,webhook   some sections only (prints; docs/ stays as it is)
 *                                           (sections: cold, latency, calls, webhook, gateway, events,
 *                                           contention, console, sweep, capacity)
 *   npm run bench -- --only cold --functions ListPhoneNumbers,ListWebhookDeliveries
 *                                  cold start of these functions only, beside the floor (and
 *                                  their "without" variants); more runs fit in the same time
 *
 * Never part of `npm test`: nothing here matches test/**\/*.test.ts.
 */

import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { enableConcurrentInvocations } from "../dev/gateway/concurrent-invocations.ts";
import { addedLatency } from "./added-latency.ts";
import { capacity } from "./capacity.ts";
import { coldStart } from "./cold-start.ts";
import { consoleBench } from "./console.ts";
import { contention } from "./contention.ts";
import { dynamoCalls } from "./dynamo-calls.ts";
import { type BenchEnvironment, startEnvironment } from "./environment.ts";
import { eventDelivery } from "./event-delivery.ts";
import { gatewayThroughput } from "./gateway-throughput.ts";
import { load, machine } from "./machine.ts";
import { retrySweep } from "./retry-sweep.ts";
import { type Budget, type Section, table } from "./section.ts";
import { loadService, type Service } from "./service.ts";
import { webhookBatch } from "./webhook-batch.ts";

// Before any AWS SDK call: the local runtimes run overlapping invocations, each in its own
// Lambda invoke context, as npm start does (dev/gateway/concurrent-invocations.ts).
await enableConcurrentInvocations();

const SECTIONS = [
  "cold",
  "latency",
  "calls",
  "webhook",
  "gateway",
  "events",
  "contention",
  "console",
  "sweep",
  "capacity",
] as const;
type SectionId = (typeof SECTIONS)[number];

const DOC = resolve(import.meta.dirname, "..", "docs", "benchmarks.md");
const BEGIN = "<!-- bench:generated:begin (npm run bench rewrites everything up to the end marker) -->";
const END = "<!-- bench:generated:end -->";

const { values } = parseArgs({
  options: {
    check: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    functions: { type: "string" },
    runs: { type: "string" },
  },
});
const only = values.only?.split(",").map((s) => s.trim()) as SectionId[] | undefined;
for (const id of only ?? []) {
  if (!SECTIONS.includes(id))
    throw new Error(`--only: unknown section '${id}' (one of ${SECTIONS.join(", ")})`);
}
const wanted = (id: SectionId) => !only || only.includes(id);
const profile = values.quick
  ? { coldRuns: 7, sequential: 15, perWorker: 3, repeats: 1, gatewaySeconds: 5 }
  : { coldRuns: 21, sequential: 40, perWorker: 8, repeats: 3, gatewaySeconds: 10 };

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
const host = machine();
const loadAtStart = load();
const started = performance.now();
const sections: Array<Section & { load: string; seconds: number }> = [];
const failures: Budget[] = [];

async function run(id: SectionId, title: string, body: () => Promise<Section>): Promise<void> {
  if (!wanted(id)) return;
  const loadBefore = load();
  const t0 = performance.now();
  process.stderr.write(`bench: ${title}… (load ${loadBefore})\n`);
  try {
    const section = await body();
    sections.push({ ...section, load: loadBefore, seconds: (performance.now() - t0) / 1000 });
  } catch (error) {
    const message = (error as Error).stack ?? String(error);
    process.stderr.write(`bench: ${title} failed: ${message}\n`);
    const failure = { name: `${title} ran`, measured: "failed (see output)", limit: "runs", pass: false };
    failures.push(failure);
    sections.push({
      title,
      lines: ["```", (error as Error).message, "```"],
      budgets: [failure],
      load: loadBefore,
      seconds: (performance.now() - t0) / 1000,
    });
  }
}

await run("cold", "1. Cold start", () =>
  coldStart({
    runs: values.runs ? Number(values.runs) : profile.coldRuns,
    ...(values.functions ? { functions: values.functions.split(",").map((s) => s.trim()) } : {}),
  }),
);

let env: BenchEnvironment | undefined;
let service: Service | undefined;
if (
  ["latency", "calls", "webhook", "gateway", "events", "contention", "sweep"].some((id) =>
    wanted(id as SectionId),
  )
) {
  env = await startEnvironment();
  service = await loadService();
}
try {
  const world = () => ({ env: env as BenchEnvironment, service: service as Service });
  await run("latency", "2. Added latency", () =>
    addedLatency(world().env, world().service, {
      sequential: profile.sequential,
      perWorker: profile.perWorker,
    }),
  );
  await run("calls", "3. DynamoDB calls per request", () => dynamoCalls(world().env, world().service));
  await run("webhook", "4. Webhook batch", () =>
    webhookBatch(world().env, world().service, { repeats: profile.repeats }),
  );
  await run("gateway", "5. Local gateway throughput", () =>
    gatewayThroughput(world().env.dynamodb.endpoint, { seconds: profile.gatewaySeconds }),
  );
  await run("events", "6. Change feed and tenant webhooks", () =>
    eventDelivery(world().env, world().service, { repeats: profile.repeats }),
  );
  await run("contention", "7. Contention", () =>
    contention(world().env, world().service, { repeats: profile.repeats + 2 }),
  );
  await run("sweep", "8. Retry sweep fairness", () =>
    retrySweep(world().env, { repeats: profile.repeats + 2 }),
  );
} finally {
  await env?.stop();
}

// The tenant console: its weight and its first render in a real browser (no store needed).
await run("console", "9. Console", () => consoleBench({ runs: profile.coldRuns }));

// Capacity: each path's cost and the per-tenant feed ceiling, on a store of its own (docs/scale.md).
if (wanted("capacity")) {
  const capacityEnv = await startEnvironment();
  try {
    const capacityService = await loadService();
    await run("capacity", "10. Capacity", () =>
      capacity(capacityEnv, capacityService, { repeats: profile.repeats }),
    );
  } finally {
    await capacityEnv.stop();
  }
}

const budgets = sections.flatMap((s) => s.budgets);
const failed = budgets.filter((b) => !b.pass);
const report = [
  BEGIN,
  "",
  "# Benchmarks",
  "",
  `Generated by \`${command}\` on ${host.date.slice(0, 16).replace("T", " ")} UTC, ` +
    `${((performance.now() - started) / 1000).toFixed(0)} s.`,
  "",
  `- Machine: ${host.cpu}, ${host.cores} cores; load average (1/5/15 min) ${loadAtStart} at the start, ` +
    `${load()} at the end. Shared with other work: absolute figures are noisy, so every budget is a ratio ` +
    "or a count measured in this same run.",
  `- Node ${host.node}${values.quick ? "; **--quick** profile (fewer repeats)" : ""}.`,
  "",
  "## Budgets",
  "",
  ...table(
    ["", "budget", "measured", "limit"],
    budgets.map((b) => [b.pass ? "✅" : "❌", b.name, b.measured, b.limit]),
  ),
  "",
  ...sections.flatMap((s) => [
    `## ${s.title}`,
    "",
    `_Load average at the start of this section: ${s.load}; took ${s.seconds.toFixed(0)} s._`,
    "",
    ...s.lines,
    "",
  ]),
  END,
].join("\n");

process.stdout.write(`${report}\n`);
if (!only) await writeReport(report);
process.stderr.write(
  failed.length === 0
    ? `bench: all ${budgets.length} budgets met\n`
    : `bench: ${failed.length} of ${budgets.length} budgets exceeded:\n${failed.map((b) => `  - ${b.name}: ${b.measured} (limit ${b.limit})\n`).join("")}`,
);
process.exitCode = values.check && failed.length > 0 ? 1 : 0;

async function writeReport(generated: string): Promise<void> {
  let existing = "";
  try {
    existing = await readFile(DOC, "utf8");
  } catch {
    // First run: only the generated part.
  }
  const end = existing.indexOf(END);
  const kept = end >= 0 ? existing.slice(end + END.length) : `\n${existing}`;
  await writeFile(DOC, `${generated}${kept.trimEnd() ? kept : "\n"}`);
  process.stderr.write(`bench: wrote ${DOC}\n`);
}
