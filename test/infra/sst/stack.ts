/**
 * The app's stack for a stage, as SST's real components build it: `synthesizeStack` runs
 * `sst.config.ts` through the installed `sst` version's platform under Pulumi's mocks (in a
 * child process, stack-runner.ts) and returns every AWS resource it registered, by logical
 * name, with its inputs. Nothing reaches AWS; the function builds are real (rpc-stub.ts).
 *
 * A run that hits an error (a component refusing its arguments, a missing handler file, a
 * secret without a value, a mock or RPC call the stubs do not know) rejects with the errors.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CONFIG, ensureSstPlatform, ROOT } from "./platform.ts";
import type { FunctionBuild } from "./rpc-stub.ts";

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL("./stack-runner.ts", import.meta.url));

export interface StackRequest {
  stage: string;
  root: string;
  config: string;
  platform: string;
  /** `sst secret set` values, as the CLI passes them (`SST_SECRET_<name>`). */
  secrets: Record<string, string>;
  /** The CLI's working directory (`.sst`): the function builds go to its `artifacts/`. */
  workDir: string;
  resultFile: string;
}

/** One `registerResource` as the program made it. */
export interface RegisteredResource {
  urn: string;
  /** Pulumi type token: `aws:lambda/function:Function`, `sst:aws:Function`, ... */
  type: string;
  /** Logical name: `GetUsernameFunction`, `ApiRouteAbcdef`, ... */
  name: string;
  /** The parent's URN (an SST component's resources have the component as parent). */
  parent: string;
  /** A cloud resource (true) or a component (false). */
  custom: boolean;
  protect: boolean;
  retainOnDelete: boolean;
  inputs: Record<string, unknown>;
}

export interface StackResult {
  stage: string;
  outputs: Record<string, unknown>;
  resources: RegisteredResource[];
  builds: FunctionBuild[];
  errors: string[];
  unknownCalls: string[];
  unknownRpcMethods: string[];
}

export interface StackOptions {
  secrets?: Record<string, string>;
  /** Another config file than the app's `sst.config.ts`. */
  config?: string;
}

/** A child process stuck for longer than this is killed (a stage takes seconds). */
const RUNNER_TIMEOUT_MS = 5 * 60 * 1000;

/** Runs the stage; rejects with the program's errors. `dispose()` the stack when done. */
export async function synthesizeStack(stage: string, options: StackOptions = {}): Promise<Stack> {
  const { result, dir } = await runStack(stage, options);
  if (result.errors.length > 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the ${stage} stack failed:\n${result.errors.join("\n---\n")}`);
  }
  return new Stack(result, dir);
}

/** Runs the stage and returns what happened, errors included, and the directory it used. */
export async function runStack(
  stage: string,
  options: StackOptions = {},
): Promise<{ result: StackResult; dir: string }> {
  const platform = await ensureSstPlatform();
  const dir = await mkdtemp(join(tmpdir(), `sst-stack-${stage}-`));
  const request: StackRequest = {
    stage,
    root: ROOT,
    config: options.config ?? CONFIG,
    platform: platform.dir,
    secrets: options.secrets ?? {},
    workDir: join(dir, "work"),
    resultFile: join(dir, "result.json"),
  };
  try {
    await mkdir(request.workDir);
    await writeFile(join(dir, "request.json"), JSON.stringify(request));
    // The result file is the answer; the exit code is not (Pulumi fails it on a program error).
    await run(
      process.execPath,
      ["--enable-source-maps", "--no-deprecation", RUNNER, join(dir, "request.json")],
      {
        cwd: ROOT,
        timeout: RUNNER_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NODE_OPTIONS: "", PULUMI_SKIP_UPDATE_CHECK: "true" },
      },
    ).catch((error: { killed?: boolean }) => {
      if (error.killed || !existsSync(request.resultFile)) throw error;
    });
    return { result: JSON.parse(await readFile(request.resultFile, "utf8")) as StackResult, dir };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`the ${stage} stack runner failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** Lookups over a stage's registered resources. */
export class Stack {
  readonly result: StackResult;
  readonly #dir: string;

  constructor(result: StackResult, dir: string) {
    this.result = result;
    this.#dir = dir;
  }

  /** Removes the builds and the run's files. */
  async dispose(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }

  get outputs() {
    return this.result.outputs;
  }

  /** Every cloud resource (not SST's components) of a Pulumi type. */
  ofType(type: string): RegisteredResource[] {
    return this.result.resources.filter((r) => r.custom && r.type === type);
  }

  /** The resource with this logical name and type; throws when there is not exactly one. */
  get(type: string, name: string): RegisteredResource {
    const found = this.result.resources.filter((r) => r.type === type && r.name === name);
    if (found.length !== 1) {
      const names = this.result.resources.filter((r) => r.type === type).map((r) => r.name);
      throw new Error(
        `expected one ${type} named ${name}, found ${found.length}; there are: ${names.join(", ")}`,
      );
    }
    return found[0] as RegisteredResource;
  }

  /** The resources whose parent is this component (SST names them after it). */
  childrenOf(component: RegisteredResource): RegisteredResource[] {
    return this.result.resources.filter((r) => r.parent === component.urn);
  }

  build(functionID: string): FunctionBuild {
    const build = this.result.builds.find((b) => b.functionID === functionID);
    if (!build) throw new Error(`no build of function ${functionID}`);
    return build;
  }
}
