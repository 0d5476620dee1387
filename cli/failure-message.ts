/**
 * Turns what a command threw into one line for the operator. Only error names, codes and our
 * own messages are shown: never request contents, so no token or key can leak through here.
 */
import { ConfigurationError } from "../functions/core/config.ts";
import { CommandFailure, UsageError } from "./errors.ts";
import { ENCRYPTION_KEY_HINT, type StoreConnection } from "./store-environment.ts";

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

export interface Failure {
  exitCode: 1 | 2;
  kind: "usage" | "failed" | "store-unreachable" | "internal";
  message: string;
  /** For usage errors: the command whose help to point at. */
  command?: string;
}

function networkCode(error: unknown): string | undefined {
  const e = error as { code?: string; name?: string; errors?: unknown[] };
  if (e.code && NETWORK_CODES.has(e.code)) return e.code;
  // Connect and request timeouts of the SDK's HTTP handler.
  if (e.name === "TimeoutError") return "timed out";
  // Happy-eyeballs connection attempts fail as one AggregateError of per-address errors.
  for (const inner of e.errors ?? []) {
    const code = networkCode(inner);
    if (code) return code;
  }
  return undefined;
}

export function describeFailure(error: unknown, store: StoreConnection | undefined): Failure {
  if (error instanceof UsageError) {
    return {
      exitCode: 2,
      kind: "usage",
      message: error.message,
      ...(error.command ? { command: error.command } : {}),
    };
  }
  if (error instanceof CommandFailure) return { exitCode: 1, kind: "failed", message: error.message };
  if (error instanceof ConfigurationError) {
    const hint = error.message.includes("TOKEN_ENCRYPTION_KEY") ? `: ${ENCRYPTION_KEY_HINT}` : "";
    return { exitCode: 1, kind: "failed", message: `${error.message}${hint}` };
  }
  const where = store?.describe() ?? "the store";
  const code = networkCode(error);
  if (code) {
    return {
      exitCode: 1,
      kind: "store-unreachable",
      message:
        `cannot reach DynamoDB for ${where} (${code}): start it with npm start (DynamoDB Local on ` +
        "DYNAMODB_PORT, default 8000), or set DYNAMODB_PORT to the port it runs on, or DYNAMODB_ENDPOINT to the " +
        "DynamoDB you run",
    };
  }
  const e = error as { name?: string; message?: string };
  if (e.name === "ResourceNotFoundException") {
    return {
      exitCode: 1,
      kind: "failed",
      message: `${where} does not exist (npm start creates it; TABLE_NAME names another)`,
    };
  }
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (e.name === "Unknown" && status) {
    // Something answered, but not in DynamoDB's protocol (a web server on that port, a proxy).
    return {
      exitCode: 1,
      kind: "store-unreachable",
      message: `unexpected HTTP ${status} answer for ${where}: is DYNAMODB_ENDPOINT a DynamoDB endpoint?`,
    };
  }
  return { exitCode: 1, kind: "internal", message: `${e.name ?? "Error"}: ${e.message ?? String(error)}` };
}
