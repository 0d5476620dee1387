/**
 * What `npm start` prints: the configuration (secrets only as "set" / "generated", never their
 * values), then either the demo key with copy-paste curl commands or how to make a key.
 */
import { relative } from "node:path";
import type { DemoSeed } from "./demo-seed.ts";
import type { DevSecret } from "./dev-secrets.ts";
import type { LocalConfig } from "./local-config.ts";

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

export function demoLines(seed: DemoSeed, config: LocalConfig, url: string, sandboxUrl?: string): string[] {
  const [first, second] = seed.phones;
  if (!first || !second) return [];
  const base = `${url}/meta/whatsapp/v24.0`;
  const lines = [
    "",
    `Empty store: seeded tenant "${seed.tenantId}" with phone numbers ${first.phoneNumberId} and ${second.phoneNumberId}`,
    `(business portfolio ${first.businessId}) and one API key. The key is shown only now:`,
    "",
    `  export API_KEY=${seed.apiKey}`,
    "",
    "Try it:",
    `  curl -s ${base}/${first.phoneNumberId}/username -H "X-API-Key: $API_KEY"`,
    `  curl -s ${base}/${first.phoneNumberId}/username_suggestions -H "X-API-Key: $API_KEY"`,
    `  curl -s -X POST ${base}/${first.phoneNumberId}/username -H "X-API-Key: $API_KEY" \\`,
    `       -H "Content-Type: application/json" -d '{"username":"lucky_shrub"}'`,
    `  curl -s -X DELETE ${base}/${first.phoneNumberId}/username -H "X-API-Key: $API_KEY"`,
    "Meta's webhook verification (answers the challenge):",
    `  curl -s "${url}/meta/whatsapp/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${verifyTokenRef(config.verifyToken)}"`,
  ];
  if (sandboxUrl) {
    lines.push(
      "Make the sandbox's Meta approve a reserved name (it sends the signed webhook here):",
      `  curl -s -X POST ${sandboxUrl}/__sandbox/phones/${first.phoneNumberId}/approve`,
    );
  }
  return lines;
}

export function existingDataLines(tenants: readonly string[]): string[] {
  const listed = tenants.slice(0, 5).join(", ") + (tenants.length > 5 ? ", ..." : "");
  return [
    "",
    `The store already has ${tenants.length} tenant(s) (${listed}): nothing seeded.`,
    "API keys are shown only when created; make a new one with:",
    `  npm run admin -- key create --tenant ${tenants[0] ?? "<tenantId>"}`,
  ];
}
