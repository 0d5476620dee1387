/**
 * 1. Cold start. Every routed Lambda is bundled exactly as SST does (dev/bundle.ts), beside a
 * floor handler that only constructs a DynamoDBClient. Each run is a fresh `node` process that
 * imports one bundle and serves one invocation (bench/cold-start-runner.mjs); runs interleave
 * the functions (A, B, C, A, B, C, ...) so the machine's noise spreads over all of them.
 *
 * The first invocation is one the function answers from its normal code path without network:
 * a username or /v1 route gets a well-formed request with a malformed API key (401 before any
 * I/O: middy, path validation and auth all run); the webhook gets a correctly signed delivery with
 * no username change (signature, JSON, payload schema and the delivery summary all run, 200); the
 * console's function its page (from the built files packaged beside its bundle, as in AWS); the
 * event sequencer a stream batch without history items, the webhook dispatcher an empty queue
 * batch (the retry sweep's every invocation reads the store, so it is left out). Two probes sign
 * one Standard Webhooks message on top of the floor, with the `standardwebhooks` library and with
 * node:crypto: the library's own cold-start cost, side by side.
 *
 * The metrics library (`@aws-lambda-powertools/metrics`, functions/core/metrics.ts), side by side:
 * GetUsername and MetaWebhook bundled again with the library replaced by a no-op stub
 * (bench/metrics-stub.ts), run in the same rounds as the real bundles, and a probe that writes
 * one EMF line on top of the floor (bench/metrics-probe.ts). The same for `ipaddr.js` (the
 * dispatcher's address checks, functions/core/tenant-webhooks/outbound-address.ts): the
 * WebhookDispatcher bundled with it stubbed (bench/ipaddr-stub.ts), and a probe that classifies
 * two addresses on top of the floor (bench/ipaddr-probe.ts).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { ensureConsoleBuilt } from "../console/build.ts";
import { bundleFunction } from "../dev/bundle.ts";
import { eventFunction } from "../infra/event-functions.ts";
import { routes } from "../infra/routes.ts";
import { apiEvent } from "../test/support/lambda.ts";
import { composition } from "./bundle-composition.ts";
import { type Section, table } from "./section.ts";
import { signedDeliveryEvent } from "./signed-delivery.ts";
import { median, spread, summarize } from "./stats.ts";

const RUNNER = resolve(import.meta.dirname, "cold-start-runner.mjs");
const REPO = resolve(import.meta.dirname, "..");
const FLOOR = resolve(import.meta.dirname, "floor-handler.ts");
const SIGN_LIBRARY = resolve(import.meta.dirname, "sign-probe-library.ts");
const SIGN_CRYPTO = resolve(import.meta.dirname, "sign-probe-crypto.ts");
const METRICS_PROBE = resolve(import.meta.dirname, "metrics-probe.ts");
const IPADDR_PROBE = resolve(import.meta.dirname, "ipaddr-probe.ts");
const WITHOUT_METRICS = { "@aws-lambda-powertools/metrics": resolve(import.meta.dirname, "metrics-stub.ts") };
const WITHOUT_IPADDR = { "ipaddr.js": resolve(import.meta.dirname, "ipaddr-stub.ts") };
/** Functions also measured without the metrics library: one that calls Meta, Meta's webhook. */
const METRICS_COMPARED = ["GetUsername", "MetaWebhook"];
export const BUNDLE_LIMIT_BYTES = 700_000;
/** Functions off a tenant's or Meta's request path (the tenant-webhook pipeline, probes). */
export const COLD_START_RATIO_LIMIT = 1.25;
/** Functions that answer a tenant's or Meta's request (infra/routes.ts audiences `api` and `meta`). */
export const API_COLD_START_RATIO_LIMIT = 1.15;
const APP_SECRET = "bench-app-secret";

interface Target {
  name: string;
  entry: string;
  /** What the first invocation is, for the report. */
  firstInvocation: string;
  event: unknown;
  /** The first invocation's HTTP status; undefined for functions that are not HTTP handlers. */
  expectedStatus?: number;
  /** Bundled with these packages swapped (bench/metrics-stub.ts for the "without metrics" runs). */
  alias?: Record<string, string>;
  /** For a "without" variant: the target it is compared with. */
  variantOf?: Target;
  /** For a "without" variant: the library it leaves out. */
  library?: string;
  /**
   * Why its cold start has no ratio budget: the others' first invocations answer before any I/O,
   * so theirs measure loading; this one's cannot (its answer is a store read).
   */
  unbudgeted?: string;
  /**
   * Packaged as SST packages the console's function (infra/console.ts): the bundle at
   * functions/console/, the built console at console/dist beside it.
   */
  withConsoleFiles?: boolean;
  /** Its cold start's budget as a ratio to the floor (default COLD_START_RATIO_LIMIT). */
  ratioLimit?: number;
  outfile?: string;
  bytes?: number;
  composition?: Map<string, number>;
}

interface RunResult {
  coldMs: number;
  cpuMs: number;
  importMs: number;
  invokeMs: number;
  /** Spawn to exit as the parent sees it: node's own start-up included. */
  processMs: number;
}

/** Well-formed values of every path parameter of a route (so its first answer is the key's 401). */
function samplePathParameters(path: string): Record<string, string> {
  return {
    version: "v24.0",
    phone_number_id: "106540352242922",
    // `{id}`: a webhook endpoint's or an API key's, by the route.
    id: path.startsWith("/v1/api_keys") ? "key_9a8b7c6d5e4f3a2b" : "ep_4f1c2a9e8b7d6c5e4f3a",
    event_id: "evt_01JD3Q8ZK5N4W6T9X2C7B1M0AF",
  };
}

function targets(): Target[] {
  const targets: Target[] = [
    {
      name: "floor (DynamoDBClient only)",
      entry: FLOOR,
      firstInvocation: "any event → 200",
      event: {},
      expectedStatus: 200,
    },
  ];
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.handler)) continue;
    seen.add(route.handler);
    const entry = resolve(import.meta.dirname, "..", route.handler);
    if (route.audience === "operator") {
      targets.push({
        name: route.functionName,
        entry,
        firstInvocation: "store answers (a stub of DynamoDB's GetItem) → 200",
        event: apiEvent({ method: route.method, routePath: route.path }),
        expectedStatus: 200,
        unbudgeted:
          "its first answer needs a store read (the SDK's first request: credentials, signing, a connection); an operator's probe, not on a tenant's path",
      });
    } else if (route.audience === "console") {
      targets.push({
        name: route.functionName,
        entry,
        firstInvocation: "GET /console/ → 200 (the page, brotli; its files read from the package)",
        event: apiEvent({
          method: "GET",
          routePath: `${route.path}/`,
          headers: { "accept-encoding": "gzip, deflate, br, zstd" },
        }),
        expectedStatus: 200,
        withConsoleFiles: true,
      });
    } else if (route.audience === "meta") {
      const body = JSON.stringify({
        object: "whatsapp_business_account",
        entry: [{ id: "102290129340398", time: 1_700_000_000, changes: [{ field: "messages", value: {} }] }],
      });
      targets.push({
        name: route.functionName,
        entry,
        firstInvocation: "signed delivery without username changes → 200",
        event: signedDeliveryEvent(route.path, body, APP_SECRET),
        expectedStatus: 200,
        ratioLimit: API_COLD_START_RATIO_LIMIT,
      });
    } else {
      targets.push({
        name: route.functionName,
        entry,
        firstInvocation: `${route.method}, malformed API key → 401 before I/O`,
        event: apiEvent({
          method: route.method,
          routePath: route.path,
          pathParameters: samplePathParameters(route.path),
          headers: { "x-api-key": "not-a-key", "content-type": "application/json" },
          ...(route.method === "POST" ? { body: JSON.stringify({ username: "lucky_shrub" }) } : {}),
        }),
        expectedStatus: 401,
        ratioLimit: API_COLD_START_RATIO_LIMIT,
      });
    }
  }
  const sequencer = eventFunction("table-stream");
  targets.push({
    name: sequencer.functionName,
    entry: resolve(import.meta.dirname, "..", sequencer.handler),
    firstInvocation: "stream batch without history items → nothing to sequence",
    event: {
      Records: [
        {
          eventName: "INSERT",
          dynamodb: {
            Keys: { pk: { S: "PHONE#1" }, sk: { S: "PHONE" } },
            NewImage: { pk: { S: "PHONE#1" }, sk: { S: "PHONE" } },
          },
        },
      ],
    },
  });
  const dispatcher = eventFunction("delivery-queue");
  targets.push({
    name: dispatcher.functionName,
    entry: resolve(import.meta.dirname, "..", dispatcher.handler),
    firstInvocation: "empty queue batch → no failures",
    event: { Records: [] },
  });
  for (const name of METRICS_COMPARED) {
    const withMetrics = targets.find((t) => t.name === name);
    if (!withMetrics) throw new Error(`no cold-start target ${name}`);
    targets.push({
      ...withMetrics,
      name: `${name} without metrics`,
      alias: WITHOUT_METRICS,
      variantOf: withMetrics,
      library: "@aws-lambda-powertools/metrics",
    });
  }
  const withIpaddr = targets.find((t) => t.name === dispatcher.functionName);
  if (!withIpaddr) throw new Error(`no cold-start target ${dispatcher.functionName}`);
  targets.push({
    ...withIpaddr,
    name: `${dispatcher.functionName} without ipaddr.js`,
    alias: WITHOUT_IPADDR,
    variantOf: withIpaddr,
    library: "ipaddr.js",
  });
  targets.push(
    {
      name: "probe: floor + metrics, one EMF line",
      entry: METRICS_PROBE,
      firstInvocation: "one metric line written (Powertools)",
      event: {},
      expectedStatus: 200,
    },
    {
      name: "probe: floor + ipaddr.js classify",
      entry: IPADDR_PROBE,
      firstInvocation: "two addresses classified (ipaddr.js)",
      event: {},
      expectedStatus: 200,
    },
    {
      name: "probe: floor + standardwebhooks sign",
      entry: SIGN_LIBRARY,
      firstInvocation: "one Standard Webhooks signature (library)",
      event: {},
      expectedStatus: 200,
    },
    {
      name: "probe: floor + node:crypto sign",
      entry: SIGN_CRYPTO,
      firstInvocation: "one Standard Webhooks signature (node:crypto)",
      event: {},
      expectedStatus: 200,
    },
  );
  return targets;
}

/** What a Lambda's environment holds, and nothing from this shell (no NODE_OPTIONS, no compile cache). */
function lambdaEnvironment(name: string): NodeJS.ProcessEnv {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
    TABLE_NAME: "bench",
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: "bench-verify-token",
    // Logs would be the same for all targets; keep the child's output to the result line.
    POWERTOOLS_LOG_LEVEL: "SILENT",
    // The health check's one read goes to a stub that answers like DynamoDB for a missing item.
    ...(name === "Health" && healthStore ? { DYNAMODB_ENDPOINT: healthStore.url } : {}),
  };
}

/** The floor, the named targets and their "without" variants; every target when no names are given. */
function selected(all: Target[], names: string[] | undefined): Target[] {
  if (!names) return all;
  const unknown = names.filter((name) => !all.some((target) => target.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `--functions: no cold-start target ${unknown.join(", ")} (one of ${all.map((t) => t.name).join(", ")})`,
    );
  }
  return all.filter(
    (target, i) =>
      i === 0 || names.includes(target.name) || (target.variantOf && names.includes(target.variantOf.name)),
  );
}

function runOnce(target: Target): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [RUNNER, target.outfile as string, JSON.stringify(target.event)], {
      env: lambdaEnvironment(target.name),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const processMs = performance.now() - started;
      const line = out.split("\n").find((l) => l.startsWith("BENCH-RESULT "));
      if (code !== 0 || !line) {
        reject(new Error(`${target.name}: runner exited ${code}\n${err.slice(-2000)}`));
        return;
      }
      const result = JSON.parse(line.slice("BENCH-RESULT ".length));
      if (target.expectedStatus !== undefined && result.statusCode !== target.expectedStatus) {
        reject(new Error(`${target.name}: first invocation answered ${result.statusCode}`));
        return;
      }
      resolvePromise({ ...result, processMs });
    });
  });
}

/** A stand-in for DynamoDB that answers every call `{}` (GetItem: no such item), for the health check. */
let healthStore: { url: string; close(): void } | undefined;

async function startHealthStore(): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      res.end("{}");
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

export async function coldStart(options: {
  runs: number;
  /** Function names to measure (beside the floor, always measured, and their variants); default all. */
  functions?: string[];
}): Promise<Section> {
  const outdir = await mkdtemp(join(tmpdir(), "wau-bench-bundles-"));
  healthStore = await startHealthStore();
  try {
    const all = selected(targets(), options.functions);
    for (const [i, target] of all.entries()) {
      // A directory per target: variants of one entry bundle to the same file name.
      const packageDir = join(outdir, String(i));
      const bundle = await bundleFunction(
        target.entry,
        target.withConsoleFiles ? join(packageDir, dirname(relative(REPO, target.entry))) : packageDir,
        target.alias,
      );
      if (target.withConsoleFiles) {
        const { dir } = await ensureConsoleBuilt();
        await cp(dir, join(packageDir, "console", "dist"), { recursive: true });
      }
      target.outfile = bundle.outfile;
      target.bytes = bundle.bytes;
      target.composition = composition(bundle.metafile);
    }
    const results = new Map<Target, RunResult[]>(all.map((t) => [t, []]));
    // One discarded round first: the disk cache and node's own first start are not a cold start's.
    for (let round = -1; round < options.runs; round++) {
      // Each round starts one function later (A,B,C; B,C,A; ...): no function always follows another.
      for (let k = 0; k < all.length; k++) {
        const target = all[(k + Math.max(0, round)) % all.length] as Target;
        const result = await runOnce(target);
        if (round >= 0) results.get(target)?.push(result);
      }
    }

    const floor = all[0] as Target;
    const floorRuns = results.get(floor) ?? [];
    const floorCold = summarize(floorRuns.map((r) => r.coldMs));
    const floorCpu = summarize((results.get(floor) ?? []).map((r) => r.cpuMs));
    const budgets = [];
    const rows = [];
    for (const target of all) {
      const runs = results.get(target) ?? [];
      const cold = summarize(runs.map((r) => r.coldMs));
      const cpu = summarize(runs.map((r) => r.cpuMs));
      // Budgeted: each round's function against the floor of that same round (the same seconds of
      // this shared machine's load), then the median of those ratios.
      const wallRatio = median(runs.map((r, i) => r.coldMs / (floorRuns[i] as RunResult).coldMs));
      // Budgeted on CPU time: on a machine shared with other work (this one's load average is
      // printed above), a round's wall time depends on what else ran in it, while the CPU a cold
      // start burns (import, first invocation) is its own cost, as Lambda's allotted CPU pays it.
      const ratio = median(runs.map((r, i) => r.cpuMs / (floorRuns[i] as RunResult).cpuMs));
      const ratioOfMedians = cold.median / floorCold.median;
      const cpuRatio = cpu.median / floorCpu.median;
      const isFloor = target === floor;
      rows.push([
        target.name,
        basename(target.entry),
        String(target.bytes),
        spread(cold),
        spread(cpu),
        spread(summarize(runs.map((r) => r.importMs))),
        spread(summarize(runs.map((r) => r.invokeMs))),
        spread(summarize(runs.map((r) => r.processMs)), 0),
        isFloor
          ? "1 (floor)"
          : `${wallRatio.toFixed(2)} / ${ratioOfMedians.toFixed(2)} / **${ratio.toFixed(2)}** (${cpuRatio.toFixed(2)})`,
        target.unbudgeted
          ? `${target.firstInvocation} (no budget: ${target.unbudgeted})`
          : target.firstInvocation,
      ]);
      if (!isFloor) {
        const limit = target.ratioLimit ?? COLD_START_RATIO_LIMIT;
        if (!target.unbudgeted)
          budgets.push({
            name: `cold start ${target.name} ≤ ${limit} × floor`,
            measured: `${ratio.toFixed(2)} CPU (medians ${cpu.median.toFixed(1)} / ${floorCpu.median.toFixed(1)} ms; wall ${wallRatio.toFixed(2)})`,
            limit: `${limit}`,
            pass: ratio <= limit,
          });
        budgets.push({
          name: `bundle ${target.name} ≤ ${BUNDLE_LIMIT_BYTES / 1000} KB`,
          measured: `${((target.bytes ?? 0) / 1000).toFixed(1)} KB`,
          limit: `${BUNDLE_LIMIT_BYTES / 1000} KB`,
          pass: (target.bytes ?? 0) <= BUNDLE_LIMIT_BYTES,
        });
      }
    }
    // The metrics library's own cost: each real bundle against its stubbed twin, round by round.
    const libraryRows = all
      .filter((target) => target.variantOf)
      .map((without) => {
        const withMetrics = without.variantOf as Target;
        const withRuns = results.get(withMetrics) ?? [];
        const withoutRuns = results.get(without) ?? [];
        const perRound = median(withRuns.map((r, i) => r.coldMs / (withoutRuns[i] as RunResult).coldMs));
        const cpuPerRound = median(withRuns.map((r, i) => r.cpuMs / (withoutRuns[i] as RunResult).cpuMs));
        const coldWith = summarize(withRuns.map((r) => r.coldMs)).median;
        const coldWithout = summarize(withoutRuns.map((r) => r.coldMs)).median;
        const cpuWith = summarize(withRuns.map((r) => r.cpuMs)).median;
        const cpuWithout = summarize(withoutRuns.map((r) => r.cpuMs)).median;
        return [
          withMetrics.name,
          without.library ?? "",
          String((withMetrics.bytes ?? 0) - (without.bytes ?? 0)),
          `${coldWith.toFixed(1)} / ${coldWithout.toFixed(1)}`,
          (coldWith - coldWithout).toFixed(1),
          `${cpuWith.toFixed(1)} / ${cpuWithout.toFixed(1)}`,
          `**${perRound.toFixed(3)}** / ${cpuPerRound.toFixed(3)}`,
        ];
      });
    return {
      title: "1. Cold start",
      lines: [
        `Each figure: median (min–max) of ${options.runs} fresh \`node\` processes per function, run interleaved ` +
          "(each round starting one function later) after one discarded round. *cold* = import of the bundle + first " +
          "invocation, timed inside the process. Ratios to the floor: wall time per round (function ÷ the floor of the " +
          "same round), of the wall medians, and, budgeted, **CPU time per round** (the CPU the cold start burns: on " +
          "this shared machine a round's wall time depends on what else ran in it), with the ratio of the CPU medians " +
          "in parentheses. *process* = spawn to exit as seen from outside, node's own start-up included. " +
          "Bundles: `dev/bundle.ts` (esbuild as SST v4: ESM, minified, AWS SDK bundled). " +
          "Logging is silenced in every process alike.",
        "",
        ...table(
          [
            "function",
            "entry",
            "bytes",
            "cold ms",
            "cold CPU ms",
            "import ms",
            "first invocation ms",
            "process ms",
            "ratio to floor: wall per round / wall medians / **CPU per round** (CPU medians)",
            "first invocation",
          ],
          rows,
        ),
        "",
        "Libraries side by side: each function against the same bundle with the library replaced by a no-op " +
          "stub (bench/metrics-stub.ts for `@aws-lambda-powertools/metrics`, bench/ipaddr-stub.ts for `ipaddr.js`), " +
          "in the same rounds.",
        "",
        ...table(
          [
            "function",
            "library",
            "bytes of the library",
            "cold ms with / without",
            "difference ms",
            "cold CPU ms with / without",
            "ratio with ÷ without, per round: cold / CPU",
          ],
          libraryRows,
        ),
        "",
        "*cold CPU* = CPU time of the process over the same span (all threads): the work itself, much less " +
          "sensitive than wall time to other processes on this shared machine. Where the bytes come from:",
        "",
        ...compositionTable(all),
      ],
      budgets,
    };
  } finally {
    healthStore?.close();
    healthStore = undefined;
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Bytes per group for each distinct bundle (functions sharing a composition are one column). */
function compositionTable(all: readonly Target[]): string[] {
  const groups = [...(all[0]?.composition?.keys() ?? [])];
  return table(
    ["bytes from", ...all.map((t) => t.name)],
    groups
      .filter((group) => all.some((t) => (t.composition?.get(group) ?? 0) > 0))
      .map((group) => [group, ...all.map((t) => String(t.composition?.get(group) ?? 0))]),
  );
}
