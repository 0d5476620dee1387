// One cold start, run in a fresh `node` process by bench/cold-start.ts:
//   node bench/cold-start-runner.mjs <bundle.mjs> <event JSON>
// Imports the bundle and serves one invocation, as Lambda's runtime does, and prints how long
// that took. Plain JavaScript so that no TypeScript stripping runs in the measured process.
import { pathToFileURL } from "node:url";

const [bundle, eventJson] = process.argv.slice(2);
const event = JSON.parse(eventJson);
const deadline = Date.now() + 30_000;
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "bench",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:bench",
  memoryLimitInMB: "512",
  awsRequestId: "00000000-0000-4000-8000-000000000000",
  logGroupName: "/aws/lambda/bench",
  logStreamName: "bench",
  getRemainingTimeInMillis: () => deadline - Date.now(),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const cpuBefore = process.cpuUsage();
const started = performance.now();
const module = await import(pathToFileURL(bundle).href);
const imported = performance.now();
const result = await module.handler(event, context);
const answered = performance.now();
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  `\nBENCH-RESULT ${JSON.stringify({
    importMs: imported - started,
    invokeMs: answered - imported,
    coldMs: answered - started,
    // CPU time of every thread of the process (V8's compiler and GC threads too): the work
    // itself, much less sensitive than wall time to other processes competing for the CPU.
    cpuMs: (cpu.user + cpu.system) / 1000,
    sinceProcessStartMs: answered,
    statusCode: result?.statusCode,
  })}\n`,
  // Lambda keeps the process; here only the figures matter, not open handles.
  () => process.exit(0),
);
