/**
 * `npm start`: the whole service on 127.0.0.1 (dev/local-stack.ts does the work). Prints one
 * line `ready: <url>` once it answers; Ctrl-C or SIGTERM stops everything it started and exits 0.
 */
import type { LocalStack } from "./local-stack.ts";
import { waitProgress } from "./wait-progress.ts";

const progress = waitProgress("DynamoDB Local");
const print = (line: string) => {
  progress.done();
  process.stdout.write(`${line}\n`);
};

// With the terminal or the parent gone, output has nowhere to go; stopping must still finish.
process.stdout.on("error", () => undefined);

const aborter = new AbortController();
let stack: LocalStack | undefined;
let stopping = false;

function shutdown(reason: string, exitCode = 0): void {
  if (stopping) return;
  stopping = true;
  print(`${reason}: stopping`);
  // While starting, the abort makes startLocalStack undo its work and reject (handled below).
  aborter.abort();
  // Exit explicitly: keep-alive sockets (fetch, the SDK) may hold the event loop open.
  if (stack) void stack.stop().finally(() => process.exit(exitCode));
}

// Handled from the first moment: a stop during startup still stops Java.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => shutdown(signal));

// `npm start` runs this under `sh -c`, and sh dies of the SIGTERM npm forwards to it without
// passing it on: losing the parent is the same request to stop.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutdown("parent process ended");
}, 250).unref();

try {
  // Imported only now, with the handlers above in place: loading the SDK takes a moment.
  const { startLocalStack } = await import("./local-stack.ts");
  stack = await startLocalStack({
    // DATA_DIR moves .data/ (secrets, DynamoDB Local's data and pid file) elsewhere.
    ...(process.env.DATA_DIR ? { dataDir: process.env.DATA_DIR } : {}),
    print,
    onWait: (ms) => stopping || progress.onWait(ms),
    signal: aborter.signal,
  });
} catch (error) {
  // Interrupted while starting: startLocalStack has already undone what it started.
  if (stopping) process.exit(0);
  progress.done();
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

if (stopping) {
  // The stop came after startLocalStack's last abort check: stop what did start.
  await stack.stop();
  process.exit(0);
}

// Last resort if this process dies some other way (an uncaught error): never leave Java behind.
const java = stack.dynamodb?.process;
process.on("exit", () => {
  if (java && java.exitCode === null && java.signalCode === null) java.kill("SIGKILL");
});
java?.once("exit", (code, signal) => {
  // Ctrl-C reaches Java too (same process group): give our own SIGINT handler its turn first.
  setTimeout(() => {
    if (!stopping) shutdown(`DynamoDB Local ended unexpectedly (${signal ?? `exit code ${code}`})`, 1);
  }, 200);
});

print(`ready: ${stack.url}`);
