/**
 * The one place that reads configuration. Locally (tests, `npm start`, the CLI) values come
 * from environment variables; in AWS they come from SST links (`Resource`), which SST injects
 * into each function for exactly the resources it links. Environment variables win so a
 * developer can override a linked value, and nothing here throws until a value is needed.
 */
import { Resource } from "sst";

type LinkedName =
  | "Table"
  | "MetaAppSecret"
  | "MetaAppSecretPrevious"
  | "MetaVerifyToken"
  | "TokenEncryptionKey"
  | "TokenEncryptionKeyPrevious";

function linked(name: LinkedName, property: "name" | "value"): string | undefined {
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

/** A deployment mistake, never a client's: handlers turn it into a 500 without details. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

export const config = {
  tableName: () => required(env("TABLE_NAME") ?? linked("Table", "name"), "TABLE_NAME (or the linked Table)"),
  /** Set locally to reach DynamoDB Local; unset in AWS. */
  dynamodbEndpoint: () => env("DYNAMODB_ENDPOINT"),
  metaGraphUrl: () => (env("META_GRAPH_URL") ?? "https://graph.facebook.com").replace(/\/+$/, ""),
  graphTimeoutMs: () => positiveNumber("META_TIMEOUT_MS", 10_000),
  apiKeyCacheTtlMs: () => positiveNumber("API_KEY_CACHE_TTL_MS", 60_000),
  /** POST and DELETE requests per tenant per minute (docs/reliability.md); 0 turns the limit off. */
  tenantWriteLimitPerMinute: () => Math.floor(positiveNumber("TENANT_WRITE_LIMIT_PER_MINUTE", 60)),
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
  metaVerifyToken: () =>
    required(
      env("META_VERIFY_TOKEN") ?? linked("MetaVerifyToken", "value"),
      "META_VERIFY_TOKEN (or the MetaVerifyToken secret)",
    ),
};
