/**
 * Bundles every routed function and event function the way SST does (dev/bundle.ts) and loads each bundle in a
 * fresh `node` process, as a Lambda cold start would: nothing the bundle needs may be left
 * outside it, and nothing may run at import time that needs configuration. Also reports the
 * bundle sizes and holds them to the 700 KB budget of issue 6, and checks that no tracer library
 * is bundled (X-Ray tracing is Lambda's own, infra/lambda.ts).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bundle, bundleFunction } from "../../dev/bundle.ts";
import { eventFunctions } from "../../infra/event-functions.ts";
import { fallbackRoute, routes } from "../../infra/routes.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAX_BUNDLE_BYTES = 700 * 1024;

/** One entry per Lambda: routes that share a function share its bundle. */
const functions = [
  ...new Map(
    [...routes, fallbackRoute, ...eventFunctions].map((r) => [r.functionName, r.handler] as const),
  ).entries(),
];

const run = promisify(execFile);

/** Imports the bundle in a new process with a Lambda-like environment and no configuration. */
async function loadInFreshNode(outfile: string): Promise<{ handlerType: string; importMs: number }> {
  const script = [
    "const started = performance.now();",
    "const module = await import(process.argv[1]);",
    "const importMs = performance.now() - started;",
    "process.stdout.write(JSON.stringify({ handlerType: typeof module.handler, importMs }));",
  ].join("\n");
  const { stdout } = await run(
    process.execPath,
    ["--input-type=module", "-e", script, pathToFileURL(outfile).href],
    {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH,
        AWS_REGION: "us-east-1",
        AWS_LAMBDA_FUNCTION_NAME: "bundle-test",
        POWERTOOLS_LOG_LEVEL: "SILENT",
      },
    },
  );
  return JSON.parse(stdout) as { handlerType: string; importMs: number };
}

/** The packages (or source folders) that take most of a bundle, for the failure message. */
function largestParts(bundle: Bundle, count = 5): string[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(bundle.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const part =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split("/").slice(0, 2).join("/");
      bytes.set(part, (bytes.get(part) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([part, size]) => `${part} ${(size / 1024).toFixed(0)} KB`);
}

function inputsOf(bundle: Bundle): string[] {
  return Object.values(bundle.metafile.outputs).flatMap((output) => Object.keys(output.inputs));
}

describe("Lambda bundles", () => {
  let outdir: string;
  const bundles = new Map<string, Bundle>();

  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), "whatsapp-usernames-bundles-"));
    await Promise.all(
      functions.map(async ([name, handler]) => {
        bundles.set(name, await bundleFunction(join(ROOT, handler), join(outdir, name)));
      }),
    );
  }, 120_000);

  afterAll(async () => {
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it("bundles one file per function", () => {
    expect([...bundles.keys()].sort()).toEqual(functions.map(([name]) => name).sort());
  });

  it.each(functions)("%s loads in a fresh node process and exports handler", async (name) => {
    const bundle = bundles.get(name);
    if (!bundle) throw new Error(`${name} was not bundled`);
    const loaded = await loadInFreshNode(bundle.outfile);
    console.log(
      `${name}: ${(bundle.bytes / 1024).toFixed(1)} KB, first import ${loaded.importMs.toFixed(0)} ms (informational)`,
    );
    expect(loaded.handlerType).toBe("function");
  });

  it.each(functions)("%s carries no tracer library (Lambda's active tracing needs none)", (name) => {
    const bundle = bundles.get(name);
    if (!bundle) throw new Error(`${name} was not bundled`);
    const inputs = inputsOf(bundle);
    expect(inputs.length).toBeGreaterThan(0);
    expect(
      inputs.filter((input) => /aws-xray-sdk|@aws-lambda-powertools\/tracer|@opentelemetry\//.test(input)),
    ).toEqual([]);
  });

  // A module's top level always runs when a function loads it (a CommonJS package's import and
  // zod schemas are never tree-shaken), so what a function must not pay for must not be imported
  // by it at all (docs/benchmarks.md, cold start).
  it("loads the endpoint URL rules (ipaddr.js) only where an endpoint's URL is set or an address is connected to", () => {
    const carrying = [...bundles]
      .filter(([, bundle]) => inputsOf(bundle).some((input) => input.includes("node_modules/ipaddr.js/")))
      .map(([name]) => name)
      .sort();
    expect(carrying).toEqual(["CreateWebhookEndpoint", "UpdateWebhookEndpoint", "WebhookDispatcher"]);
  });

  it("builds no schema of what the self-service routes answer (their types are all the functions use)", () => {
    const carrying = [...bundles]
      .filter(([, bundle]) =>
        inputsOf(bundle).some((input) => input.endsWith("validation/self-service-views.ts")),
      )
      .map(([name]) => name);
    expect(carrying).toEqual([]);
    const bodies = [...bundles]
      .filter(([, bundle]) =>
        inputsOf(bundle).some((input) => input.endsWith("validation/self-service-bodies.ts")),
      )
      .map(([name]) => name)
      .sort();
    expect(bodies).toEqual([
      "CreateApiKey",
      "CreateWebhookEndpoint",
      "RotateWebhookEndpointSecret",
      "UpdateWebhookEndpoint",
    ]);
  });

  it.each(functions)("%s stays within the 700 KB bundle budget", (name) => {
    const bundle = bundles.get(name);
    if (!bundle) throw new Error(`${name} was not bundled`);
    expect(bundle.bytes, `largest parts: ${largestParts(bundle).join(", ")}`).toBeLessThanOrEqual(
      MAX_BUNDLE_BYTES,
    );
  });
});
