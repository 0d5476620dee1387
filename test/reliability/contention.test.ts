/**
 * Contention without failures (docs/reliability.md, "Contention"): 40 concurrent claims over 2
 * numbers of one tenant, over HTTP through the local stack `npm start` runs (gateway, Meta sandbox,
 * this run's DynamoDB Local), Meta call limit off. Every claim is answered 200; Meta gets exactly one
 * call per claim; each number's history holds exactly one event per claim, in the order the
 * claims reached Meta; and the recorded state is the newest event and Meta's own state.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../dev/local-stack.ts";
import { issueApiKey } from "../../functions/core/admin/admin.ts";
import { registerPhone } from "../../functions/core/admin/numbers.ts";
import { mapWithConcurrency } from "../../functions/core/concurrency.ts";
import { useTestTable } from "../support/test-table.ts";
import { storedState, uniqueDigits } from "../support/world.ts";
import { expectConsistent } from "./helpers/store-snapshot.ts";

const CLAIMS = 40;
const NUMBERS = 2;

let stack: LocalStack;
let dataDir: string;
const saved = process.env.TENANT_META_LIMIT_PER_MINUTE;

beforeAll(async () => {
  const { tableName, endpoint } = await useTestTable();
  process.env.TENANT_META_LIMIT_PER_MINUTE = "0";
  dataDir = mkdtempSync(join(tmpdir(), "wau-contention-"));
  stack = await startLocalStack({
    env: {
      DYNAMODB_ENDPOINT: endpoint,
      TABLE_NAME: tableName,
      PORT: "0",
      META_SANDBOX_PORT: "0",
      RECONCILE_INTERVAL_SECONDS: "0",
      TOKEN_ENCRYPTION_KEY: process.env.TOKEN_ENCRYPTION_KEY,
    },
    dataDir,
    seed: false,
    print: () => undefined,
    gatewayLog: () => undefined,
    // What is checked is that every claim is served in turn, once: 20 turns a number may take
    // longer than a deployed function's 25 s on a loaded 2-core machine.
    functionTimeoutMs: 120_000,
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (saved === undefined) delete process.env.TENANT_META_LIMIT_PER_MINUTE;
  else process.env.TENANT_META_LIMIT_PER_MINUTE = saved;
});

describe("contention", () => {
  it(`${CLAIMS} concurrent claims over ${NUMBERS} numbers: all 200, one Meta call and one history event each`, async () => {
    const sandbox = stack.sandbox;
    if (!sandbox) throw new Error("the local stack runs the sandbox");
    const tenantId = `tenant-contention-${uniqueDigits(6)}`;
    const { apiKey } = await issueApiKey(tenantId, "contention");
    const phones = await Promise.all(
      Array.from({ length: NUMBERS }, async () => {
        const phone = {
          phoneNumberId: uniqueDigits(15),
          wabaId: uniqueDigits(15),
          businessId: uniqueDigits(15),
          displayPhoneNumber: `1555${uniqueDigits(7)}`,
          accessToken: `EAAG-contention-${uniqueDigits(8)}`,
        };
        await registerPhone({ tenantId, ...phone });
        sandbox.addPhone({ ...phone, displayName: "Contention" });
        return phone;
      }),
    );
    sandbox.clearRequests();

    const claims = Array.from({ length: CLAIMS }, (_, i) => ({
      phone: phones[i % NUMBERS] as (typeof phones)[number],
      username: `contend_${i}_${uniqueDigits(4)}`,
    }));
    const started = performance.now();
    const answers = await mapWithConcurrency(claims, CLAIMS, async ({ phone, username }) => {
      const response = await fetch(`${stack.url}/meta/whatsapp/v24.0/${phone.phoneNumberId}/username`, {
        method: "POST",
        headers: { "x-api-key": apiKey, "content-type": "application/json" },
        body: JSON.stringify({ username }),
      });
      return { status: response.status, body: await response.text() };
    });
    const wallMs = Math.round(performance.now() - started);

    const failed = answers.filter((a) => a.status !== "fulfilled" || a.value.status !== 200);
    expect(
      failed.map((f) => (f.status === "fulfilled" ? `${f.value.status} ${f.value.body}` : String(f.reason))),
      "every claim answered 200",
    ).toEqual([]);
    for (const phone of phones) {
      const posts = sandbox
        .requests()
        .filter((r) => r.method === "POST" && r.path.includes(phone.phoneNumberId));
      const sent = posts.map((r) => (JSON.parse(r.body) as { username: string }).username);
      const mine = claims.filter((c) => c.phone === phone).map((c) => c.username);
      // One Meta call per claim.
      expect([...sent].sort()).toEqual([...mine].sort());

      const { phone: stored, history } = await expectConsistent(phone.phoneNumberId);
      // One history event per claim, in the order Meta received them (one at a time per number).
      expect(history.map((e) => e.username)).toEqual(sent);
      expect(history.every((e) => e.source === "api")).toBe(true);
      expect(new Set(history.map((e) => e.requestId)).size).toBe(history.length);
      // The state is the newest event, and Meta's.
      const meta = sandbox.getPhone(phone.phoneNumberId);
      expect({ username: stored?.username, status: stored?.status }).toEqual({
        username: meta?.username,
        status: meta?.status,
      });
      expect((await storedState(phone.phoneNumberId)).phone?.username).toBe(sent.at(-1));
    }
    console.info(JSON.stringify({ contention: { claims: CLAIMS, numbers: NUMBERS, wallMs } }));
  }, 120_000);
});
