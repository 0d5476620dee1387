/**
 * The in-process world of the latency, call-count and webhook benchmarks: DynamoDB Local with a
 * table made from infra's definition, the Meta sandbox over real HTTP, the environment the
 * service reads pointed at both, and seeding through the same admin code the CLI uses.
 */
import { randomBytes } from "node:crypto";
import { ensureTable } from "../dev/create-table.ts";
import { type DynamoDbLocal, localClient, startDynamoDbLocal } from "../dev/dynamodb-local.ts";
import { mapWithConcurrency } from "../functions/core/concurrency.ts";
import { type MetaSandbox, startMetaSandbox } from "../meta-sandbox/index.ts";

export const APP_SECRET = "bench-app-secret";

export interface BenchEnvironment {
  dynamodb: DynamoDbLocal;
  sandbox: MetaSandbox;
  tableName: string;
  stop(): Promise<void>;
}

export interface BenchTenant {
  tenantId: string;
  apiKey: string;
}

export interface BenchPhone {
  phoneNumberId: string;
  wabaId: string;
  businessId: string;
  displayPhoneNumber: string;
  accessToken: string;
}

let sequence = 0;
/** Distinct 15-digit ids within a run (and, with the random prefix, across runs on one store). */
function nextId(prefix: string): string {
  sequence += 1;
  return `${prefix}${String(sequence).padStart(9, "0")}`.padEnd(15, "0").slice(0, 15);
}
const RUN_PREFIX = String(100 + Math.floor(Math.random() * 800));

export async function startEnvironment(): Promise<BenchEnvironment> {
  const dynamodb = await startDynamoDbLocal();
  const tableName = `bench-${randomBytes(4).toString("hex")}`;
  const client = localClient(dynamodb.endpoint);
  try {
    await ensureTable(client, tableName);
  } finally {
    client.destroy();
  }
  const sandbox = await startMetaSandbox();
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: dynamodb.endpoint,
    TABLE_NAME: tableName,
    AWS_REGION: "local",
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    META_GRAPH_URL: sandbox.url,
    META_APP_SECRET: APP_SECRET,
    META_VERIFY_TOKEN: "bench-verify-token",
    // The per-tenant write limit stays on (its one write per POST/DELETE is part of what is
    // measured) but so high that the benchmark's own request rate never meets it.
    TENANT_META_LIMIT_PER_MINUTE: "1000000",
    // The bench prints its own tables; a log line per request would drown them (and cost alike).
    POWERTOOLS_LOG_LEVEL: "SILENT",
  });
  return {
    dynamodb,
    sandbox,
    tableName,
    stop: async () => {
      const { dynamo, setDynamoClient } = await import("../functions/core/store/client.ts");
      dynamo().destroy();
      setDynamoClient(undefined);
      await sandbox.close();
      await dynamodb.stop();
    },
  };
}

export async function seedTenant(): Promise<BenchTenant> {
  const { issueApiKey } = await import("../functions/core/admin/admin.ts");
  const tenantId = `bench-${randomBytes(4).toString("hex")}`;
  const key = await issueApiKey(tenantId, "bench");
  return { tenantId, apiKey: key.apiKey };
}

export interface SeedOptions {
  /** Numbers per WABA (a provider's customers each have a few). */
  perWaba?: number;
  concurrency?: number;
}

/** Registers `count` numbers for the tenant, in the store (admin code) and in the sandbox's Meta. */
export async function seedPhones(
  env: BenchEnvironment,
  tenant: BenchTenant,
  count: number,
  options: SeedOptions = {},
): Promise<BenchPhone[]> {
  const { registerPhone } = await import("../functions/core/admin/numbers.ts");
  const perWaba = options.perWaba ?? 20;
  const phones: BenchPhone[] = [];
  let wabaId = "";
  let businessId = "";
  for (let i = 0; i < count; i++) {
    if (i % perWaba === 0) {
      wabaId = nextId(`${RUN_PREFIX}2`);
      businessId = nextId(`${RUN_PREFIX}3`);
    }
    phones.push({
      phoneNumberId: nextId(`${RUN_PREFIX}1`),
      wabaId,
      businessId,
      displayPhoneNumber: `1555${String(++sequence).padStart(7, "0")}`,
      accessToken: `EAAG${randomBytes(24).toString("hex")}`,
    });
  }
  const results = await mapWithConcurrency(phones, options.concurrency ?? 16, async (phone) => {
    await registerPhone({ tenantId: tenant.tenantId, ...phone });
    env.sandbox.addPhone({ ...phone, displayName: "Lucky Shrub" });
  });
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return phones;
}
