/**
 * The one place that reads configuration. Locally (tests, `npm start`, the CLI) values come
 * from environment variables; in AWS they come from SST links (`Resource`), which SST injects
 * into each function for exactly the resources it links. Environment variables win so a
 * developer can override a linked value, and nothing here throws until a value is needed.
 */
import { Resource } from "sst";

type LinkedName =
  | "App"
  | "Table"
  | "MetaAppSecret"
  | "MetaAppSecretPrevious"
  | "MetaVerifyToken"
  | "TokenEncryptionKey"
  | "TokenEncryptionKeyPrevious"
  | "WebhookQueue"
  | "FeedQueue";

function linked(name: LinkedName, property: "name" | "value" | "url" | "stage"): string | undefined {
  try {
    const resource = (Resource as unknown as Record<string, Record<string, unknown> | undefined>)[name];
    // `sst secret set X < file` keeps the file's trailing newline: no secret here has meaningful
    // surrounding whitespace, and a newline in the app secret would fail every signature.
    const value = resource?.[property];
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  } catch {
    // Not running under SST (no links active): only the environment applies.
    return undefined;
  }
}

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

function required(value: string | undefined, what: string): string {
  if (value === undefined) throw new ConfigurationError(`${what} is not configured`);
  return value;
}

function positiveNumber(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new ConfigurationError(`${name} must be a non-negative number`);
  return value;
}

/** The secrets without a placeholder (infra/secrets.ts): a stage does not work until each is set. */
export const REQUIRED_SECRETS = ["MetaAppSecret", "MetaVerifyToken", "TokenEncryptionKey"] as const;
export type RequiredSecretName = (typeof REQUIRED_SECRETS)[number];

/** A deployment mistake, never a client's: handlers turn it into a 500 without details. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

/**
 * Retries of a tenant webhook, in seconds after the previous attempt: Standard Webhooks' own
 * schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), 8 attempts over about 27.6 hours.
 */
export const DEFAULT_WEBHOOK_RETRY_DELAYS = "5,300,1800,7200,18000,36000,36000";

function retryDelays(): number[] {
  const raw = env("WEBHOOK_RETRY_DELAYS") ?? DEFAULT_WEBHOOK_RETRY_DELAYS;
  const parts = raw.split(",").map((part) => part.trim());
  const delays = parts.map(Number);
  if (parts.some((part) => !/^\d+(\.\d+)?$/.test(part)) || delays.some((delay) => delay > 7 * 86_400)) {
    throw new ConfigurationError(
      "WEBHOOK_RETRY_DELAYS must be comma-separated seconds, each from 0 to 604800 (e.g. 5,300,1800)",
    );
  }
  return delays;
}

/** Webhook endpoints per tenant unless WEBHOOK_ENDPOINTS_PER_TENANT says otherwise: each event is one delivery per endpoint. */
export const DEFAULT_WEBHOOK_ENDPOINTS_PER_TENANT = 10;
/** Active API keys per tenant unless API_KEYS_PER_TENANT says otherwise (a rotation needs two at a time). */
export const DEFAULT_API_KEYS_PER_TENANT = 20;

export const config = {
  /** The SST stage the function runs in (`Resource.App.stage`); `local` for tests and `npm start`. */
  stage: () => env("STAGE") ?? linked("App", "stage") ?? "local",
  tableName: () => required(env("TABLE_NAME") ?? linked("Table", "name"), "TABLE_NAME (or the linked Table)"),
  /** Set locally to reach DynamoDB Local; unset in AWS. */
  dynamodbEndpoint: () => env("DYNAMODB_ENDPOINT"),
  metaGraphUrl: () => (env("META_GRAPH_URL") ?? "https://graph.facebook.com").replace(/\/+$/, ""),
  graphTimeoutMs: () => positiveNumber("META_TIMEOUT_MS", 10_000),
  /**
   * One DynamoDB attempt's time limit, ms. DynamoDB answers in milliseconds; 5 s × the SDK's 3
   * attempts stay inside every function's deadline, so a hung store is answered 503 and counted
   * (StorageUnavailable), not cut off at the deadline. Tests on a loaded machine allow more.
   */
  dynamodbRequestTimeoutMs: () => positiveNumber("DYNAMODB_REQUEST_TIMEOUT_MS", 5_000) || 5_000,
  apiKeyCacheTtlMs: () => positiveNumber("API_KEY_CACHE_TTL_MS", 60_000),
  /**
   * How often one container records the use of one API key, at most (seconds; the precision of a
   * key's `last_used_time`); 0 turns the recording off. Default 300 (auth/key-use.ts).
   */
  apiKeyUsePeriodSeconds: () => positiveNumber("API_KEY_USE_PERIOD_SECONDS", 300),
  /** Active API keys a tenant may hold at once, through `POST /v1/api_keys` (operators are not held to it). */
  apiKeysPerTenant: () =>
    Math.max(1, Math.floor(positiveNumber("API_KEYS_PER_TENANT", DEFAULT_API_KEYS_PER_TENANT))),
  /** Webhook endpoints a tenant may have, through the API and the CLI alike. */
  webhookEndpointsPerTenant: () =>
    Math.max(
      1,
      Math.floor(positiveNumber("WEBHOOK_ENDPOINTS_PER_TENANT", DEFAULT_WEBHOOK_ENDPOINTS_PER_TENANT)),
    ),
  /**
   * Requests that reach Meta (every /meta/whatsapp route but the webhook) per tenant per minute
   * (docs/reliability.md); 0 turns the limit off. Set per stage by infra/limits.ts.
   */
  tenantMetaLimitPerMinute: () => Math.floor(positiveNumber("TENANT_META_LIMIT_PER_MINUTE", 60)),
  /**
   * `/v1` reads per tenant per minute (docs/reliability.md, "Fair share"); 0 turns the limit off.
   * Set per stage by infra/stage-settings.ts.
   */
  tenantReadLimitPerMinute: () => Math.floor(positiveNumber("TENANT_READ_LIMIT_PER_MINUTE", 300)),
  /** The Graph API version the reconciler reads Meta with (the proxy forwards each client's own). */
  metaGraphVersion: () => env("META_GRAPH_VERSION") ?? "v24.0",
  /**
   * Calls to Meta per second at most, for the reconciler and `phone sync` (docs/reliability.md);
   * also the drift sweep's ceiling: this × 50 s numbers a run (reconcile/sweep-plan.ts).
   */
  metaSyncRatePerSecond: () => positiveNumber("META_SYNC_RATE_PER_SECOND", 5) || 5,
  /**
   * Due numbers one reconciler run looks at, at most, and the floor of the numbers it looks at in
   * all: the drift sweep takes what is left of it, or more when its interval needs more, within
   * the pace (reconcile/sweep-plan.ts).
   */
  reconcileBatchSize: () => Math.max(1, Math.floor(positiveNumber("RECONCILE_BATCH_SIZE", 100))),
  /** Hours between two drift sweeps over every number; 0 turns the sweep off (the default). */
  driftSweepIntervalHours: () => positiveNumber("DRIFT_SWEEP_INTERVAL_HOURS", 0),
  tokenEncryptionKey: () =>
    required(
      env("TOKEN_ENCRYPTION_KEY") ?? linked("TokenEncryptionKey", "value"),
      "TOKEN_ENCRYPTION_KEY (or the TokenEncryptionKey secret)",
    ),
  /**
   * The key being rotated out: tokens still sealed under it decrypt until `phone reencrypt-tokens`
   * has moved them to the current key (docs/deploy.md). Never used to encrypt.
   */
  previousTokenEncryptionKey: () =>
    env("TOKEN_ENCRYPTION_KEY_PREVIOUS") ?? linked("TokenEncryptionKeyPrevious", "value"),
  /** Current app secret first; a second one is accepted while a rotation is under way. */
  metaAppSecrets: (): string[] => {
    const current = env("META_APP_SECRET") ?? linked("MetaAppSecret", "value");
    const previous = env("META_APP_SECRET_PREVIOUS") ?? linked("MetaAppSecretPrevious", "value");
    const secrets = [current, previous].filter((s): s is string => s !== undefined);
    if (secrets.length === 0)
      throw new ConfigurationError("META_APP_SECRET (or the MetaAppSecret secret) is not configured");
    return secrets;
  },
  /** Seconds to wait before each retry of a tenant webhook; attempts = 1 + this many. */
  webhookRetryDelays: retryDelays,
  /** Budget of one webhook attempt (connect, send, answer), milliseconds. */
  webhookTimeoutMs: () => positiveNumber("WEBHOOK_TIMEOUT_MS", 10_000),
  /** The SQS queue of webhook deliveries in AWS; unset locally (an in-process queue stands in). */
  webhookQueueUrl: () => env("WEBHOOK_QUEUE_URL") ?? linked("WebhookQueue", "url"),
  /** The SQS FIFO queue of new events per tenant in AWS; unset locally (an in-process FIFO queue stands in). */
  feedQueueUrl: () => env("FEED_QUEUE_URL") ?? linked("FeedQueue", "url"),
  /**
   * A local store (DynamoDB Local): webhook endpoints may then be `http` on loopback, for
   * receivers on the developer's machine. In AWS only `https` to public hosts is accepted.
   */
  allowsLoopbackWebhooks: () => env("DYNAMODB_ENDPOINT") !== undefined,
  /**
   * The API's public base URL (`https://<api id>.execute-api.<region>.amazonaws.com`, or the custom
   * domain), from which the `/v1` paging links are built: infra/api.ts passes the API's URL, the
   * local gateway its own. Unset: API Gateway's `requestContext.domainName` (never the Host header).
   */
  apiBaseUrl: () => env("API_BASE_URL")?.replace(/\/+$/, ""),
  /** GET /health's budget for the store's answer, SDK retries included (milliseconds). */
  healthStoreTimeoutMs: () => positiveNumber("HEALTH_STORE_TIMEOUT_MS", 1_500),
  /** package.json `version` of the build (infra/build-info.ts sets it in AWS, `npm start` locally). */
  serviceVersion: () => env("SERVICE_VERSION") ?? "unknown",
  /** The git commit of the build (infra/build-info.ts), or `unknown`. */
  serviceCommit: () => env("SERVICE_COMMIT") ?? "unknown",
  /**
   * Whether each secret the service cannot run without has a value, by its SST name: named in
   * REQUIRED_SECRETS_SET (deployed: resolved by infra at deploy time, so the health function
   * holds no secret), or its environment variable or link (locally). Never the values: GET
   * /health reports these booleans to anyone.
   */
  requiredSecretsSet: (): Record<RequiredSecretName, boolean> => {
    // In AWS GET /health's function is given no secret at all: infra/api.ts resolves at deploy
    // time which required secrets have a value and passes their names (REQUIRED_SECRETS_SET).
    const setAtDeploy = new Set((env("REQUIRED_SECRETS_SET") ?? "").split(",").map((name) => name.trim()));
    const isSet = (name: RequiredSecretName, envName: string) =>
      setAtDeploy.has(name) || (env(envName) ?? linked(name, "value")) !== undefined;
    return {
      MetaAppSecret: isSet("MetaAppSecret", "META_APP_SECRET"),
      MetaVerifyToken: isSet("MetaVerifyToken", "META_VERIFY_TOKEN"),
      TokenEncryptionKey: isSet("TokenEncryptionKey", "TOKEN_ENCRYPTION_KEY"),
    };
  },
  metaVerifyToken: () =>
    required(
      env("META_VERIFY_TOKEN") ?? linked("MetaVerifyToken", "value"),
      "META_VERIFY_TOKEN (or the MetaVerifyToken secret)",
    ),
};
