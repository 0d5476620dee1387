/**
 * 5. Local gateway throughput (informational): autocannon against `GET username` through the
 * local gateway (dev/local-stack.ts, in a child process) at 50 connections for 10 s. The
 * gateway, the handler, the sandbox and DynamoDB Local share this machine with the load tool.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import autocannon from "autocannon";
import type { Section } from "./section.ts";
import { table } from "./section.ts";

const CONNECTIONS = 50;

export async function gatewayThroughput(
  dynamodbEndpoint: string,
  options: { seconds: number },
): Promise<Section> {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, "serve-local-stack.ts")], {
    env: {
      ...process.env,
      PORT: "0",
      META_SANDBOX_PORT: "0",
      DYNAMODB_ENDPOINT: dynamodbEndpoint,
      TABLE_NAME: `bench-gateway-${randomBytes(4).toString("hex")}`,
      META_APP_SECRET: "bench-app-secret",
      META_VERIFY_TOKEN: "bench-verify-token",
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      POWERTOOLS_LOG_LEVEL: "SILENT",
      TENANT_META_LIMIT_PER_MINUTE: "1000000",
      META_GRAPH_URL: "",
      NODE_OPTIONS: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    const ready = await new Promise<{ url: string; apiKey: string; phoneNumberId: string }>((done, fail) => {
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) done(JSON.parse(line));
      });
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk.toString();
      });
      child.on("exit", (code) =>
        fail(new Error(`local stack exited (${code}) before it was ready\n${err.slice(-2000)}`)),
      );
    });
    const url = `${ready.url}/meta/whatsapp/v24.0/${ready.phoneNumberId}/username`;
    const headers = { "x-api-key": ready.apiKey };
    // Warm-up: handler import, key cache, keep-alive connections.
    for (let i = 0; i < 20; i++) await (await fetch(url, { headers })).text();

    const result = await autocannon({ url, connections: CONNECTIONS, duration: options.seconds, headers });
    return {
      title: "5. Local gateway throughput (informational)",
      lines: [
        `autocannon, ${CONNECTIONS} connections, ${options.seconds} s, \`GET …/username\` of the demo number through ` +
          "the local gateway (`startLocalStack` in a child process; sandbox without delay; key cached after warm-up).",
        "",
        ...table(
          ["requests", "req/s (mean)", "latency p50 ms", "latency p99 ms", "non-2xx", "errors"],
          [
            [
              String(result.requests.total),
              result.requests.average.toFixed(0),
              String(result.latency.p50),
              String(result.latency.p99),
              String(result.non2xx),
              String(result.errors + result.timeouts),
            ],
          ],
        ),
      ],
      budgets: [],
    };
  } finally {
    await new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
    });
  }
}
