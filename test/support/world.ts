/**
 * One test file's world: its own table in the run's DynamoDB Local, a Meta sandbox on loopback
 * that the service calls over HTTP, and helpers to seed tenants, keys and phone numbers in both.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { issueApiKey } from "../../functions/core/admin/admin.ts";
import { registerPhone } from "../../functions/core/admin/numbers.ts";
import { clearApiKeyCache } from "../../functions/core/auth/authenticate.ts";
import { dynamo, setDynamoClient } from "../../functions/core/store/client.ts";
import { getPhone, listHistory } from "../../functions/core/store/phones.ts";
import { type MetaSandbox, startMetaSandbox } from "../../meta-sandbox/index.ts";
import { useTestTable } from "./test-table.ts";

export interface World {
  sandbox: MetaSandbox;
  tableName: string;
  /** The table has its stream: a file that reads the change feed (useEventPipeline) needs it. */
  stream: boolean;
}

export interface WorldOptions {
  /** Give the table its stream (default false; see test-table.ts). */
  stream?: boolean;
}

let counter = 0;
/** Unique digits per call, so tests in one file never share ids. */
export function uniqueDigits(length = 15): string {
  counter += 1;
  const random = String(Math.floor(Math.random() * 1e6)).padStart(6, "0");
  return `${counter}${random}${Date.now()}`.slice(0, length).padEnd(length, "7");
}

let nameCounter = 0;
/** A valid username no other call of this run gets: `<prefix>_<n>_<time>` (prefix: letters, digits, _). */
export function uniqueUsername(prefix: string): string {
  nameCounter += 1;
  return `${prefix}_${nameCounter}_${Date.now() % 1_000_000}`.slice(0, 35);
}

export function useWorld(options: WorldOptions = {}): World {
  const world = { stream: options.stream ?? false } as World;
  beforeAll(async () => {
    const { tableName } = await useTestTable({ stream: world.stream });
    world.tableName = tableName;
    world.sandbox = await startMetaSandbox();
    process.env.META_GRAPH_URL = world.sandbox.url;
    process.env.META_TIMEOUT_MS ??= "2000";
  });
  beforeEach(() => {
    clearApiKeyCache();
    world.sandbox.clearRequests();
    world.sandbox.clearFaults();
  });
  afterAll(async () => {
    await world.sandbox?.close();
    dynamo().destroy();
    setDynamoClient(undefined);
  });
  return world;
}

export interface SeededPhone {
  phoneNumberId: string;
  wabaId: string;
  businessId: string;
  displayPhoneNumber: string;
  accessToken: string;
}

export interface SeededTenant {
  tenantId: string;
  apiKey: string;
  keyId: string;
}

export async function seedTenant(): Promise<SeededTenant> {
  const tenantId = `tenant-${randomBytes(4).toString("hex")}`;
  const key = await issueApiKey(tenantId, "test");
  return { tenantId, apiKey: key.apiKey, keyId: key.id };
}

/** A phone number registered to the tenant here and known to the sandbox's Meta. */
export async function seedPhone(
  world: World,
  tenant: SeededTenant,
  overrides: Partial<SeededPhone> & Record<string, unknown> = {},
): Promise<SeededPhone> {
  const phone: SeededPhone = {
    phoneNumberId: uniqueDigits(15),
    wabaId: uniqueDigits(15),
    businessId: uniqueDigits(15),
    displayPhoneNumber: `1555${uniqueDigits(7)}`,
    accessToken: `EAAG${randomBytes(24).toString("hex")}`,
    ...overrides,
  };
  await registerPhone({
    tenantId: tenant.tenantId,
    phoneNumberId: phone.phoneNumberId,
    wabaId: phone.wabaId,
    businessId: phone.businessId,
    displayPhoneNumber: phone.displayPhoneNumber,
    accessToken: phone.accessToken,
  });
  world.sandbox.addPhone({ ...phone, displayName: "Lucky Shrub", ...overrides });
  return phone;
}

/**
 * A number's stored state and history. Without the request recorded in flight on the record
 * (`pending*`, username-state/records.ts): that is bookkeeping of who asked, written when a
 * request takes its turn and kept while its outcome is unknown, never the state.
 */
export async function storedState(phoneNumberId: string) {
  const stored = await getPhone(phoneNumberId, true);
  const history = await listHistory(phoneNumberId);
  if (!stored) return { phone: stored, history };
  const { pendingOperation: _o, pendingUsername: _u, pendingBy: _b, pendingAt: _a, ...phone } = stored;
  return { phone: phone as typeof stored, history };
}
