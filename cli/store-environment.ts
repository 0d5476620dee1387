/**
 * Which store the CLI talks to. Under `sst shell` SST's links are active and name the deployed
 * stage's table and secrets (functions/core/config.ts reads them); the CLI then leaves the
 * environment alone. Otherwise it fills in the local defaults `npm start` uses, so with no
 * configuration at all it reaches the DynamoDB Local that `npm start` runs. Explicit
 * environment variables always win.
 */
import { existsSync, readFileSync } from "node:fs";
import { Resource } from "sst";
import {
  DEFAULT_DYNAMODB_PORT,
  DEFAULT_SANDBOX_PORT,
  DEFAULT_TABLE_NAME,
  DEV_ENCRYPTION_KEY_FILE,
} from "../dev/local-defaults.ts";
import { config } from "../functions/core/config.ts";
import { createDocumentClient, setDynamoClient } from "../functions/core/store/client.ts";
import { CommandFailure } from "./errors.ts";

/** SST's own test for active links (`sst shell`, `sst dev`): the `App` resource is present. */
function sstLinksActive(): boolean {
  try {
    return "App" in Resource;
  } catch {
    return false;
  }
}

function unset(name: string): boolean {
  return (process.env[name] ?? "") === "";
}

function applyLocalDefaults(): void {
  if (unset("DYNAMODB_ENDPOINT")) {
    const port = process.env.DYNAMODB_PORT || String(DEFAULT_DYNAMODB_PORT);
    if (!/^\d{1,5}$/.test(port))
      throw new CommandFailure(`DYNAMODB_PORT must be a port number, got '${port}'`);
    process.env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${port}`;
  }
  if (unset("TABLE_NAME")) process.env.TABLE_NAME = DEFAULT_TABLE_NAME;
  // `phone sync` reads Meta: locally, the sandbox npm start runs.
  if (unset("META_GRAPH_URL")) {
    process.env.META_GRAPH_URL = `http://127.0.0.1:${process.env.META_SANDBOX_PORT || DEFAULT_SANDBOX_PORT}`;
  }
  // Only the commands that store a token need the key; without the file they fail with a hint.
  if (unset("TOKEN_ENCRYPTION_KEY") && existsSync(DEV_ENCRYPTION_KEY_FILE)) {
    process.env.TOKEN_ENCRYPTION_KEY = readFileSync(DEV_ENCRYPTION_KEY_FILE, "utf8").trim();
  }
}

export interface StoreConnection {
  /** For messages: where the table is, e.g. "table whatsapp-usernames at http://127.0.0.1:8000". */
  describe(): string;
  close(): void;
}

/**
 * Points functions/core's store at the configured table with a client that fails fast: locally
 * one attempt and a short connect timeout (an absent DynamoDB Local answers in milliseconds or
 * never); against AWS the SDK's usual retries, still bounded by timeouts.
 */
export function connectStore(): StoreConnection {
  const deployed = sstLinksActive();
  if (!deployed) applyLocalDefaults();
  const endpoint = config.dynamodbEndpoint();
  const client = createDocumentClient({
    maxAttempts: endpoint ? 1 : 3,
    requestHandler: {
      connectionTimeout: endpoint ? 2_000 : 5_000,
      requestTimeout: endpoint ? 5_000 : 15_000,
      // Without it the SDK only logs a warning when the request timeout passes, and waits on.
      throwOnRequestTimeout: true,
    },
  });
  setDynamoClient(client);
  return {
    describe: () => {
      let table: string;
      try {
        table = config.tableName();
      } catch {
        table = "(no table configured)";
      }
      const where = endpoint ?? `AWS${process.env.AWS_REGION ? ` ${process.env.AWS_REGION}` : ""}`;
      return `table ${table} at ${where}`;
    },
    close: () => {
      setDynamoClient(undefined);
      client.destroy();
    },
  };
}

/** Local store, no key: the hint names the ways to provide one. */
export const ENCRYPTION_KEY_HINT = `set TOKEN_ENCRYPTION_KEY, or run npm start once to create ${DEV_ENCRYPTION_KEY_FILE}`;
