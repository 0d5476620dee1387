/**
 * `npm start`'s configuration: environment variables with safe local defaults. Reading it has
 * one side effect: a missing dev secret is generated once into the data folder (dev-secrets.ts).
 */
import { isAbsolute, join, resolve } from "node:path";
import { type DevSecret, devSecret, randomKey, randomToken } from "./dev-secrets.ts";
import {
  DEFAULT_DYNAMODB_PORT,
  DEFAULT_PORT,
  DEFAULT_SANDBOX_PORT,
  DEFAULT_TABLE_NAME,
  DEV_DATA_DIR,
} from "./local-defaults.ts";

export type StorageConfig =
  | { kind: "external"; endpoint: string }
  /** DynamoDB Local started here; no dataPath means in memory. */
  | { kind: "embedded"; port: number; dataPath?: string };

export type UpstreamConfig =
  | { kind: "external"; url: string }
  /** The Meta sandbox started here (default port 4000); port 0 picks a free one. */
  | { kind: "sandbox"; port: number };

export interface LocalConfig {
  /** The gateway's port on 127.0.0.1; 0 picks a free one. */
  port: number;
  tableName: string;
  storage: StorageConfig;
  upstream: UpstreamConfig;
  appSecret: DevSecret;
  verifyToken: DevSecret;
  encryptionKey: DevSecret;
  dataDir: string;
  /** How often the reconciler runs (ms); 0: never (RECONCILE_INTERVAL_SECONDS, default 60). */
  reconcileIntervalMs: number;
}

export class LocalConfigError extends Error {
  override name = "LocalConfigError";
}

type Env = Record<string, string | undefined>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? undefined : raw;
}

function portFrom(env: Env, name: string, fallback: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535)
    throw new LocalConfigError(`${name} must be a port number (0-65535), got '${raw}'`);
  return port;
}

function urlFrom(env: Env, name: string): string | undefined {
  const raw = value(env, name);
  if (raw !== undefined && !URL.canParse(raw))
    throw new LocalConfigError(`${name} must be an absolute URL, got '${raw}'`);
  return raw?.replace(/\/+$/, "");
}

function flag(env: Env, name: string): boolean {
  return ["1", "true", "yes"].includes(value(env, name)?.toLowerCase() ?? "");
}

function checkEncryptionKey(secret: DevSecret): DevSecret {
  if (Buffer.from(secret.value, "base64").length !== 32) {
    const where = secret.file ? secret.file : "TOKEN_ENCRYPTION_KEY";
    throw new LocalConfigError(`${where} must hold 32 random bytes, base64 (openssl rand -base64 32)`);
  }
  return secret;
}

export function resolveLocalConfig(env: Env = process.env, dataDir: string = DEV_DATA_DIR): LocalConfig {
  const dir = isAbsolute(dataDir) ? dataDir : resolve(dataDir);
  const endpoint = urlFrom(env, "DYNAMODB_ENDPOINT");
  const graphUrl = urlFrom(env, "META_GRAPH_URL");
  const storage: StorageConfig = endpoint
    ? { kind: "external", endpoint }
    : {
        kind: "embedded",
        port: portFrom(env, "DYNAMODB_PORT", DEFAULT_DYNAMODB_PORT),
        // DynamoDB Local runs in its package's folder: the path must be absolute.
        ...(flag(env, "DYNAMODB_IN_MEMORY") ? {} : { dataPath: join(dir, "dynamodb") }),
      };
  return {
    port: portFrom(env, "PORT", DEFAULT_PORT),
    tableName: value(env, "TABLE_NAME") ?? DEFAULT_TABLE_NAME,
    storage,
    upstream: graphUrl
      ? { kind: "external", url: graphUrl }
      : { kind: "sandbox", port: portFrom(env, "META_SANDBOX_PORT", DEFAULT_SANDBOX_PORT) },
    appSecret: devSecret(
      { envName: "META_APP_SECRET", file: join(dir, "meta-app-secret"), generate: randomToken },
      env,
    ),
    verifyToken: devSecret(
      { envName: "META_VERIFY_TOKEN", file: join(dir, "meta-verify-token"), generate: randomToken },
      env,
    ),
    encryptionKey: checkEncryptionKey(
      devSecret(
        { envName: "TOKEN_ENCRYPTION_KEY", file: join(dir, "token-encryption-key"), generate: randomKey },
        env,
      ),
    ),
    dataDir: dir,
    reconcileIntervalMs: secondsFrom(env, "RECONCILE_INTERVAL_SECONDS", 60) * 1000,
  };
}

function secondsFrom(env: Env, name: string, fallback: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new LocalConfigError(`${name} must be a number of seconds (0 turns it off), got '${raw}'`);
  return seconds;
}
