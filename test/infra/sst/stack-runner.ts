/**
 * Runs one stage of the app in Pulumi's unit-test mode, in a process of its own (Pulumi's
 * runtime is global per process): `app()` as the CLI evaluates it, the program bundled as the
 * CLI bundles it, run inside Pulumi's stack context against the mocks, with the RPC stub as
 * `SST_SERVER`. Writes every registered resource (type, logical name, parent, inputs, options),
 * the function builds, the stack outputs and every error to the JSON file it is given.
 *
 * Usage: node stack-runner.ts <request.json>   (stack.ts is the way to call it)
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { evaluateApp } from "./app.ts";
import { bundleProgram } from "./program.ts";
import { awsMocks } from "./pulumi-mocks.ts";
import { startRpcStub } from "./rpc-stub.ts";
import type { RegisteredResource, StackRequest, StackResult } from "./stack.ts";

/** A stage takes seconds; a program that never settles is reported rather than waited for. */
const RUN_TIMEOUT_MS = 4 * 60 * 1000;

/** The parts of `@pulumi/pulumi` used here (the platform's copy; the repository has none). */
interface Pulumi {
  runtime: {
    setMocks(
      mocks: ReturnType<typeof awsMocks>,
      project: string,
      stack: string,
      preview: boolean,
    ): Promise<void>;
    runInPulumiStack(init: () => Promise<Record<string, unknown>>): Promise<unknown>;
    disconnect(): Promise<void>;
    deserializeProperties(struct: unknown): Record<string, unknown>;
    getMonitor(): MockMonitor;
  };
  log: { hasErrors(): boolean };
}

/** Pulumi's RegisterResourceRequest (protobuf), the getters read here. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getObject(): unknown;
}

type RegisterCallback = (error: unknown, response?: { getUrn(): string }) => void;

/** Pulumi's MockMonitor (runtime/mocks.ts), the members adjusted here. */
interface MockMonitor {
  registerResource(request: RegisterRequest, callback: RegisterCallback): Promise<void>;
  newUrn(parent: string, type: string, name: string): string;
}

/** Pulumi's wire form of a secret (sdk/nodejs/runtime/rpc.ts). */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? error.message;
  return typeof error === "string" ? error : JSON.stringify(error);
}

async function runStage(request: StackRequest): Promise<StackResult> {
  const errors: string[] = [];
  // What Pulumi's language host reports as the program's failure, each error once (one rejected
  // output rejects every output derived from it).
  const report = (error: unknown) => {
    const text = describe(error);
    if (!errors.includes(text)) errors.push(text);
  };
  process.on("unhandledRejection", report);
  process.on("uncaughtException", report);
  // As the CLI passes the values `sst secret set` stored.
  for (const [name, value] of Object.entries(request.secrets)) process.env[`SST_SECRET_${name}`] = value;

  // The CLI's `.sst`: function builds go to its artifacts/, kept for the caller to inspect.
  const work = request.workDir;
  const runs = join(request.platform, ".test-runs");
  await mkdir(runs, { recursive: true });
  const programFile = join(await mkdtemp(join(runs, `${request.stage}-`)), "program.mjs");
  const stub = await startRpcStub(request.root, work);
  process.env.SST_SERVER = stub.url;

  const resources: RegisteredResource[] = [];
  const unknownCalls: string[] = [];
  let outputs: Record<string, unknown> = {};
  try {
    const app = await evaluateApp(request.config, request.stage);
    const lock = JSON.parse(await readFile(join(request.platform, "..", "provider-lock.json"), "utf8")) as {
      alias: string;
      package: string;
    }[];
    await bundleProgram({
      app,
      cli: {
        command: "deploy",
        dev: false,
        paths: { home: join(work, "home"), root: request.root, work, platform: request.platform },
        state: { version: {} },
      },
      config: request.config,
      providers: lock,
      outfile: programFile,
    });

    // The @pulumi/pulumi the bundle loads (the platform's), so the mocks are the ones it sees.
    const pulumi = createRequire(join(request.platform, "package.json"))("@pulumi/pulumi") as Pulumi;
    const region = String(app.providers.aws?.region ?? "us-east-1");
    await pulumi.runtime.setMocks(awsMocks(region, unknownCalls), app.name, app.stage, false);
    recordRegistrations(pulumi, app, resources, errors);

    const settled = (async () => {
      const stackOutputs = await pulumi.runtime.runInPulumiStack(async () => {
        const program = (await import(pathToFileURL(programFile).href)) as {
          default: Record<string, unknown>;
        };
        return program.default;
      });
      // Every registration the program started, including those made inside outputs' callbacks.
      await pulumi.runtime.disconnect();
      return (stackOutputs ?? {}) as Record<string, unknown>;
    })();
    outputs = await Promise.race([settled, stopped()]);
    if (pulumi.log.hasErrors()) errors.push("Pulumi logged errors (printed above)");
  } catch (error) {
    errors.push(describe(error));
  } finally {
    await stub.close();
    await rm(dirname(programFile), { recursive: true, force: true });
  }
  return {
    stage: request.stage,
    outputs,
    resources,
    builds: stub.builds,
    errors,
    unknownCalls,
    unknownRpcMethods: stub.unknownMethods,
  };
}

/**
 * Settles when the program cannot go on: as in Pulumi's language host, a program whose error
 * left registrations waiting ends when nothing is left to run (Node's `beforeExit`). A timer
 * (not holding the process open) reports a program that keeps running without end.
 */
function stopped(): Promise<never> {
  return new Promise((_, reject) => {
    process.once("beforeExit", () => reject(new Error("the program stopped with registrations unfinished")));
    setTimeout(
      () => reject(new Error(`the program did not settle within ${RUN_TIMEOUT_MS / 1000} s`)),
      RUN_TIMEOUT_MS,
    ).unref();
  });
}

/**
 * Records what each registration asks for (Pulumi's mock monitor keeps only the state), and
 * names resources as the engine does: the mock puts the root stack's type into its children's
 * URNs, where the engine leaves it out (pkg/resource/deploy/deployment.go generateURN), and SST
 * reads a linked resource's type from its URN (`Resource.Table.type`).
 */
function recordRegistrations(
  pulumi: Pulumi,
  app: { name: string; stage: string },
  into: RegisteredResource[],
  errors: string[],
) {
  const monitor = pulumi.runtime.getMonitor();
  monitor.newUrn = (parent, type, name) => {
    const parentType = parent?.split("::")[2] ?? "";
    const qualified = parent && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
    return `urn:pulumi:${app.stage}::${app.name}::${qualified}::${name}`;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (error, response) => {
      try {
        into.push({
          urn: response?.getUrn() ?? "",
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          custom: req.getCustom(),
          protect: req.getProtect() ?? false,
          retainOnDelete: req.getRetainondelete() ?? false,
          inputs: unwrapSecrets(pulumi.runtime.deserializeProperties(req.getObject())) as Record<
            string,
            unknown
          >,
        });
      } catch (recordingError) {
        errors.push(`recording ${req.getType()} ${req.getName()}: ${describe(recordingError)}`);
      } finally {
        callback(error, response);
      }
    });
}

/** Secrets' values, for the assertions (which secrets a function gets is checked on its links). */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (!value || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIG_KEY] === SECRET_SIG) return unwrapSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** Pulumi assets (a function's code archive) as their paths, the rest as it is. */
function assetsAsPaths(_key: string, value: unknown) {
  if (value && typeof value === "object" && "path" in value && "__pulumiAsset" in value) {
    return { path: (value as { path: unknown }).path };
  }
  return value;
}

const request = JSON.parse(await readFile(process.argv[2] as string, "utf8")) as StackRequest;
const result = await runStage(request);
await writeFile(request.resultFile, JSON.stringify(result, assetsAsPaths));
// Pulumi's runtime may hold handles open; the result is written.
process.exit(0);
