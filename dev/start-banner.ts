/**
 * What `npm start` prints: the configuration (secrets only as "set" / "generated", never their
 * values), then copy-paste commands to try the service: with the demo key on a first start,
 * otherwise with the command that makes a key for the stored tenant (keys are shown only once).
 */
import { relative } from "node:path";
import type { DemoSeed, StoredData } from "./demo-seed.ts";
import type { DevSecret } from "./dev-secrets.ts";
import type { LocalConfig } from "./local-config.ts";
import { ADMIN_COMMAND, DEFAULT_DYNAMODB_PORT, DEFAULT_TABLE_NAME } from "./local-defaults.ts";

export interface RunningParts {
  url: string;
  storage: string;
  upstream: string;
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

function secretOrigin(secret: DevSecret): string {
  if (secret.origin === "set") return "set (from the environment)";
  const file = secret.file ? shown(secret.file) : "";
  return secret.origin === "generated" ? `generated into ${file}` : `from ${file}`;
}

export function configLines(config: LocalConfig, running: RunningParts): string[] {
  const rows: [string, string][] = [
    ["PORT", String(new URL(running.url).port)],
    ["storage", running.storage],
    ["TABLE_NAME", config.tableName],
    ["META_GRAPH_URL", running.upstream],
    ["META_APP_SECRET", secretOrigin(config.appSecret)],
    ["META_VERIFY_TOKEN", secretOrigin(config.verifyToken)],
    ["TOKEN_ENCRYPTION_KEY", secretOrigin(config.encryptionKey)],
  ];
  return ["configuration:", ...rows.map(([name, value]) => `  ${name.padEnd(21)}${value}`)];
}

/** How a shell gets the verify token without the banner printing it. */
function verifyTokenRef(secret: DevSecret): string {
  return secret.origin === "set" || !secret.file ? "$META_VERIFY_TOKEN" : `$(cat ${shown(secret.file)})`;
}

/** Where the commands point: the gateway, and the sandbox when it is the upstream. */
export interface BannerTargets {
  url: string;
  sandboxUrl?: string;
}

/** curl commands for one phone number with $API_KEY, and the sandbox's approval when there is one. */
function tryItLines(phoneNumberId: string, config: LocalConfig, targets: BannerTargets): string[] {
  const base = `${targets.url}/meta/whatsapp/v24.0`;
  const lines = [
    "Try it:",
    `  curl -s ${base}/${phoneNumberId}/username -H "X-API-Key: $API_KEY"`,
    `  curl -s ${base}/${phoneNumberId}/username_suggestions -H "X-API-Key: $API_KEY"`,
    `  curl -s -X POST ${base}/${phoneNumberId}/username -H "X-API-Key: $API_KEY" \\`,
    `       -H "Content-Type: application/json" -d '{"username":"lucky_shrub"}'`,
    `  curl -s -X DELETE ${base}/${phoneNumberId}/username -H "X-API-Key: $API_KEY"`,
    "Meta's webhook verification (answers the challenge):",
    `  curl -s "${targets.url}/meta/whatsapp/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${verifyTokenRef(config.verifyToken)}"`,
  ];
  if (targets.sandboxUrl) {
    lines.push(
      "Make the sandbox's Meta approve a reserved name (it sends the signed webhook here):",
      `  curl -s -X POST ${targets.sandboxUrl}/__sandbox/phones/${phoneNumberId}/approve`,
    );
  }
  return lines;
}

/** First start on an empty store: the demo tenant, its key (shown only now) and what to try. */
export function demoLines(seed: DemoSeed, config: LocalConfig, targets: BannerTargets): string[] {
  const [first, second] = seed.phones;
  if (!first || !second) return [];
  return [
    "",
    `Empty store: seeded tenant "${seed.tenantId}" with phone numbers ${first.phoneNumberId} and ${second.phoneNumberId}`,
    `(business portfolio ${first.businessId}) and one API key. The key is shown only now:`,
    "",
    `  export API_KEY=${seed.apiKey}`,
    "",
    ...tryItLines(first.phoneNumberId, config, targets),
  ];
}

/**
 * First in a second terminal: a new shell may have another Node.js first on PATH (a system's Node
 * 20, on which npx stops with npm's EBADENGINE); this puts a supported one first, as it did here.
 */
const NODE_ENV_COMMAND = "source .ci/node-env.sh";

/**
 * The admin CLI as a second terminal runs it against this store: with the variables that point
 * it here when they differ from its defaults (never a secret: `key create` needs none).
 */
function adminCommand(config: LocalConfig): string {
  const env: string[] = [];
  if (config.storage.kind === "external") env.push(`DYNAMODB_ENDPOINT=${config.storage.endpoint}`);
  else if (config.storage.port !== DEFAULT_DYNAMODB_PORT) env.push(`DYNAMODB_PORT=${config.storage.port}`);
  if (config.tableName !== DEFAULT_TABLE_NAME) env.push(`TABLE_NAME=${config.tableName}`);
  return [...env, ADMIN_COMMAND].join(" ");
}

/** A later start: nothing seeded; the command that makes a key for the stored tenant, then what to try. */
export function storedDataLines(stored: StoredData, config: LocalConfig, targets: BannerTargets): string[] {
  const { tenants, tenantId, phoneNumberId } = stored;
  const listed = tenants.slice(0, 5).join(", ") + (tenants.length > 5 ? ", ..." : "");
  const lines = [
    "",
    `The store already has ${tenants.length} tenant(s) (${listed}): nothing seeded.`,
    `API keys are shown only when created; make one for tenant "${tenantId}" in another terminal, from this folder:`,
    "",
    `  ${NODE_ENV_COMMAND}`,
    `  ${adminCommand(config)} key create --tenant ${tenantId}`,
    "  export API_KEY=<the key it prints>",
    "",
  ];
  if (!phoneNumberId) {
    lines.push(`Tenant "${tenantId}" has no phone number yet: ${adminCommand(config)} phone add --help`);
    return lines;
  }
  return [...lines, ...tryItLines(phoneNumberId, config, targets)];
}

/** Where the tenant console is (served by the gateway itself, from console/dist). */
export function consoleLines(url: string): string[] {
  return ["", `Tenant console: ${url}/console/ (open it in a browser and paste an API key)`];
}

/** An empty store with another upstream: no demo data, whose made-up tokens only the sandbox takes. */
export function noSeedLines(upstreamUrl: string, config: LocalConfig): string[] {
  return [
    "",
    `Empty store, and META_GRAPH_URL is ${upstreamUrl}: no demo data seeded (its made-up Meta tokens`,
    "only work with the Meta sandbox). Register your numbers with their real tokens, then make a key",
    "(in another terminal, from this folder):",
    `  ${NODE_ENV_COMMAND}`,
    `  ${adminCommand(config)} phone add --help`,
    `  ${adminCommand(config)} key create --tenant <tenantId>`,
  ];
}
