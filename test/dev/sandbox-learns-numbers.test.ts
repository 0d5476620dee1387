/**
 * While `npm start` runs, numbers registered or changed with the admin CLI (another process)
 * work at once: the Meta sandbox learns them from the store at their first Graph request
 * (dev/sandbox-phones.ts, meta-sandbox/phone-source.ts), where it used to answer 401 code
 * 190 until a restart. The stack is `npm start`'s own (startLocalStack) against this run's
 * DynamoDB Local; the CLI is the real `wau-admin` command in a child process.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../dev/local-stack.ts";
import type { MetaSandbox } from "../../meta-sandbox/index.ts";
import { randomLocalSecrets } from "../support/local-secrets.ts";
import { uniqueDigits } from "../support/world.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const execFileAsync = promisify(execFile);
const tableName = `learn-${randomBytes(6).toString("hex")}`;
const secrets = randomLocalSecrets();

let stack: LocalStack;
let sandbox: MetaSandbox;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "wau-learn-"));
  stack = await startLocalStack({
    env: {
      ...secrets,
      DYNAMODB_ENDPOINT: inject("dynamodbEndpoint"),
      TABLE_NAME: tableName,
      PORT: "0",
      META_SANDBOX_PORT: "0",
    },
    dataDir,
    print: () => undefined,
    gatewayLog: false,
  });
  sandbox = stack.sandbox as MetaSandbox;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** `npx wau-admin <args> --json` in a second terminal: another process, the same store. */
async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync(process.execPath, ["bin/wau-admin.cjs", ...args, "--json"], {
    cwd: ROOT,
    env: {
      ...process.env,
      DYNAMODB_ENDPOINT: stack.dynamodbEndpoint,
      TABLE_NAME: tableName,
      TOKEN_ENCRYPTION_KEY: secrets.TOKEN_ENCRYPTION_KEY,
    },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function call(method: string, phoneNumberId: string, apiKey: string, body?: unknown) {
  const answer = await fetch(`${stack.url}/meta/whatsapp/v24.0/${phoneNumberId}/username`, {
    method,
    headers: { "X-API-Key": apiKey, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: answer.status, json: (await answer.json()) as Record<string, unknown> };
}

function addArgs(tenant: string, phone: { id: string; waba: string; business: string; display: string }) {
  return [
    "phone",
    "add",
    "--tenant",
    tenant,
    "--phone-number-id",
    phone.id,
    "--waba-id",
    phone.waba,
    "--business-id",
    phone.business,
    "--display-phone-number",
    phone.display,
  ];
}

const token = () => `EAAG${randomBytes(24).toString("hex")}`;

describe("numbers registered or changed with the CLI while npm start runs", () => {
  it("work at their first request, through a new token and a re-registration, webhooks included", async () => {
    const tenant = `t-${randomBytes(3).toString("hex")}`;
    const { apiKey } = (await cli("key", "create", "--tenant", tenant)) as { apiKey: string };
    const phone = {
      id: uniqueDigits(15),
      waba: uniqueDigits(15),
      business: uniqueDigits(15),
      display: "15550001234",
    };

    // Registered with the CLI: the sandbox has never heard of it, and answers as Meta would.
    const first = token();
    await cli(...addArgs(tenant, phone), "--access-token", first);
    expect(sandbox.getPhone(phone.id)).toBeUndefined();
    expect(await call("GET", phone.id, apiKey)).toEqual({ status: 200, json: {} });
    expect(sandbox.getPhone(phone.id)).toMatchObject({ accessToken: first, wabaId: phone.waba });
    expect(await call("POST", phone.id, apiKey, { username: "learned_name" })).toEqual({
      status: 200,
      json: { status: "reserved" },
    });

    // A new token with the CLI: the next request carries it, and the sandbox follows, keeping the name.
    const second = token();
    await cli("phone", "set-token", phone.id, "--access-token", second);
    expect(await call("GET", phone.id, apiKey)).toEqual({
      status: 200,
      json: { username: "learned_name", status: "reserved" },
    });
    expect(sandbox.getPhone(phone.id)?.accessToken).toBe(second);

    // Meta approves: the signed webhook finds the number by the WABA and display number learned.
    expect((await sandbox.approve(phone.id)).map((d) => d.status)).toEqual([200]);
    expect(await cli("phone", "show", phone.id)).toMatchObject({ status: "approved", source: "webhook" });

    // Removed and registered again under another WABA and number: that is what the sandbox knows now.
    await cli("phone", "remove", phone.id);
    const moved = { ...phone, waba: uniqueDigits(15), display: "15550004321" };
    const third = token();
    await cli(...addArgs(tenant, moved), "--access-token", third);
    expect((await call("GET", phone.id, apiKey)).status).toBe(200);
    expect(sandbox.getPhone(phone.id)).toMatchObject({
      accessToken: third,
      wabaId: moved.waba,
      displayPhoneNumber: moved.display,
    });
    await call("POST", phone.id, apiKey, { username: "moved_name" });
    await sandbox.approve(phone.id);
    expect(await cli("phone", "show", phone.id)).toMatchObject({
      username: "moved_name",
      status: "approved",
      source: "webhook",
    });
  }, 60_000);

  it("a token the store does not hold for the number is still refused, as Meta refuses it", async () => {
    const tenant = `t-${randomBytes(3).toString("hex")}`;
    await cli("key", "create", "--tenant", tenant);
    const phone = {
      id: uniqueDigits(15),
      waba: uniqueDigits(15),
      business: uniqueDigits(15),
      display: "15550009999",
    };
    await cli(...addArgs(tenant, phone), "--access-token", token());
    // A client talking to the sandbox directly with a made-up token: learning changes nothing for it.
    const answer = await fetch(`${sandbox.url}/v24.0/${phone.id}/username`, {
      headers: { Authorization: `Bearer ${token()}` },
    });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { code: number } }).error.code).toBe(190);
  }, 30_000);
});
