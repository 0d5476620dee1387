/**
 * The admin CLI against DynamoDB Local: every command in-process through `runAdmin` (human and
 * --json output, bad arguments, unknown ids, an unreachable store), and the real command
 * `wau-admin` (bin/wau-admin.cjs, also through `npx` as the README runs it) as a child process
 * for exit codes, the token on stdin and stdout that is exactly one JSON document.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { localClient } from "../../dev/dynamodb-local.ts";
import { freePort } from "../../dev/free-port.ts";
import { authenticate, clearApiKeyCache } from "../../functions/core/auth/authenticate.ts";
import { decryptToken } from "../../functions/core/crypto/token-cipher.ts";
import { dynamo, setDynamoClient } from "../../functions/core/store/client.ts";
import { getPhone } from "../../functions/core/store/phones.ts";
import { commitUsernameChange } from "../../functions/core/store/state-committer.ts";
import { admin, parsed, type Run } from "../support/admin-cli.ts";
import { useTestTable } from "../support/test-table.ts";
import { uniqueDigits } from "../support/world.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let table: { tableName: string; endpoint: string };

beforeAll(async () => {
  table = await useTestTable();
});
beforeEach(() => clearApiKeyCache());
afterAll(() => {
  dynamo().destroy();
  setDynamoClient(undefined);
});

/** The real command (bin/wau-admin.cjs), or `npx wau-admin` with `npx: true`, with the test table's environment. */
function spawnAdmin(
  args: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; npx?: boolean } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    delete env.META_ACCESS_TOKEN;
    const [command, commandArgs] = options.npx
      ? ["npx", ["--no-install", "wau-admin", ...args]]
      : [process.execPath, ["bin/wau-admin.cjs", ...args]];
    const child = spawn(command, commandArgs, { cwd: ROOT, env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, json: parsed(stdout) }));
    child.stdin.end(options.stdin ?? "");
  });
}

function newTenant(): string {
  return `tenant-${randomBytes(4).toString("hex")}`;
}

function metaToken(): string {
  return `EAAG${randomBytes(24).toString("hex")}`;
}

function phoneArgs(tenant: string, phoneNumberId = uniqueDigits(15)) {
  return {
    phoneNumberId,
    args: [
      "phone",
      "add",
      "--tenant",
      tenant,
      "--phone-number-id",
      phoneNumberId,
      "--waba-id",
      uniqueDigits(15),
      "--business-id",
      uniqueDigits(15),
      "--display-phone-number",
      "+1 555-078-3881",
    ],
  };
}

async function addPhone(tenant: string, token = metaToken()) {
  const { phoneNumberId, args } = phoneArgs(tenant);
  const run = await admin([...args, "--access-token", token, "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return { phoneNumberId, token };
}

async function withEnv<T>(changes: Record<string, string | undefined>, action: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(changes).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(changes);
  try {
    return await action();
  } finally {
    apply(saved);
  }
}

describe("key create", () => {
  it("prints a working key once; JSON is exactly {id, tenantId, apiKey}", async () => {
    const tenant = newTenant();
    const run = await admin(["key", "create", "--tenant", tenant, "--name", "ci", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(Object.keys(run.json).sort()).toEqual(["apiKey", "id", "tenantId"]);
    expect(run.json).toEqual({
      id: expect.stringMatching(/^key_/),
      tenantId: tenant,
      apiKey: expect.stringMatching(/^wau_/),
    });
    expect(await authenticate({ "x-api-key": run.json.apiKey })).toEqual({
      tenantId: tenant,
      keyId: run.json.id,
    });
  });

  it("human output shows the key exactly once", async () => {
    const tenant = newTenant();
    const run = await admin(["key", "create", "--tenant", tenant]);
    expect(run.code).toBe(0);
    const keys = run.stdout.match(/wau_[A-Za-z0-9_-]{32}/g) ?? [];
    expect(keys).toHaveLength(1);
    expect(run.stdout).toContain(`for tenant ${tenant}`);
  });

  it("refuses a bad tenant id or a missing --tenant with exit 2", async () => {
    for (const args of [
      ["key", "create"],
      ["key", "create", "--tenant", "has space"],
      ["key", "create", "--tenant", "a#b"],
      ["key", "create", "--tenant"],
      ["key", "create", "--tenant", "t1", "--name", ""],
    ]) {
      const run = await admin(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^error: /);
    }
  });
});

describe("key list and key revoke", () => {
  it("lists a tenant's keys without their hashes, then revokes one so it no longer authenticates", async () => {
    const tenant = newTenant();
    const first = (await admin(["key", "create", "--tenant", tenant, "--name", "first", "--json"])).json;
    const second = (await admin(["key", "create", "--tenant", tenant, "--json"])).json;

    const listed = await admin(["key", "list", "--tenant", tenant, "--json"]);
    expect(listed.code).toBe(0);
    expect(listed.json.keys).toHaveLength(2);
    expect(listed.json.keys).toEqual(
      expect.arrayContaining([
        { id: first.id, tenantId: tenant, name: "first", createdAt: expect.any(String), status: "active" },
        { id: second.id, tenantId: tenant, createdAt: expect.any(String), status: "active" },
      ]),
    );
    expect(listed.stdout).not.toMatch(/keyHash|wau_/);

    const revoked = await admin(["key", "revoke", first.id, "--json"]);
    expect(revoked.code).toBe(0);
    expect(revoked.json).toEqual({ id: first.id, tenantId: tenant, revokedAt: expect.any(String) });
    await expect(authenticate({ "x-api-key": first.apiKey })).rejects.toMatchObject({ status: 401 });
    expect(await authenticate({ "x-api-key": second.apiKey })).toMatchObject({ tenantId: tenant });

    // Revoking again is harmless and keeps the first time.
    const again = await admin(["key", "revoke", first.id, "--json"]);
    expect(again.json.revokedAt).toBe(revoked.json.revokedAt);

    const human = await admin(["key", "list", "--tenant", tenant]);
    expect(human.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+LAST USED\s+STATUS$/m);
    expect(human.stdout).toContain(`revoked ${revoked.json.revokedAt}`);
    expect(human.stdout).not.toContain("wau_");
  });

  it("fails with exit 1 for an unknown key id or tenant", async () => {
    const unknownKey = await admin(["key", "revoke", "key_0000000000000000", "--json"]);
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.json).toEqual({
      error: { kind: "failed", message: expect.stringContaining("no API key") },
    });
    expect(unknownKey.stderr).toContain("no API key with id 'key_0000000000000000'");

    const unknownTenant = await admin(["key", "list", "--tenant", newTenant()]);
    expect(unknownTenant.code).toBe(1);
    expect(unknownTenant.stderr).toContain("unknown tenant");
  });

  it("needs exactly one key id", async () => {
    expect((await admin(["key", "revoke"])).code).toBe(2);
    expect((await admin(["key", "revoke", "key_a", "key_b"])).code).toBe(2);
  });
});

describe("tenant list", () => {
  it("shows every tenant a key or a phone number named", async () => {
    const byKey = newTenant();
    const byPhone = newTenant();
    await admin(["key", "create", "--tenant", byKey]);
    await addPhone(byPhone);

    const run = await admin(["tenant", "list", "--json"]);
    expect(run.code).toBe(0);
    expect(run.json.tenants).toEqual(expect.arrayContaining([{ tenantId: byKey }, { tenantId: byPhone }]));
    const human = await admin(["tenant", "list"]);
    expect(human.stdout.split("\n")).toEqual(expect.arrayContaining([byKey, byPhone]));
  });
});

describe("phone add", () => {
  it("registers a number with digits-only display number and an encrypted token", async () => {
    const tenant = newTenant();
    const token = metaToken();
    const { phoneNumberId, args } = phoneArgs(tenant);
    const run = await admin([...args, "--access-token", token, "--json"]);
    expect(run.code).toBe(0);
    expect(run.json).toEqual({
      phoneNumberId,
      tenantId: tenant,
      wabaId: expect.stringMatching(/^\d+$/),
      businessId: expect.stringMatching(/^\d+$/),
      displayPhoneNumber: "15550783881",
    });
    const stored = await getPhone(phoneNumberId, true);
    expect(stored?.accessTokenEncrypted).not.toContain(token);
    expect(decryptToken(stored?.accessTokenEncrypted ?? "", phoneNumberId)).toBe(token);
  });

  it("takes the token from META_ACCESS_TOKEN, else from stdin (trimmed)", async () => {
    const tenant = newTenant();
    const fromEnv = metaToken();
    const viaEnv = phoneArgs(tenant);
    await withEnv({ META_ACCESS_TOKEN: fromEnv }, async () => {
      expect((await admin(viaEnv.args, { stdin: "ignored" })).code).toBe(0);
    });
    const stored = await getPhone(viaEnv.phoneNumberId, true);
    expect(decryptToken(stored?.accessTokenEncrypted ?? "", viaEnv.phoneNumberId)).toBe(fromEnv);

    const fromStdin = metaToken();
    const viaStdin = phoneArgs(tenant);
    expect((await admin(viaStdin.args, { stdin: `  ${fromStdin}\n` })).code).toBe(0);
    const piped = await getPhone(viaStdin.phoneNumberId, true);
    expect(decryptToken(piped?.accessTokenEncrypted ?? "", viaStdin.phoneNumberId)).toBe(fromStdin);
  });

  it("refuses with exit 2 when no token is given, it is empty, or it spans lines", async () => {
    const tenant = newTenant();
    const noToken = await admin(phoneArgs(tenant).args);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("no access token");
    expect((await admin(phoneArgs(tenant).args, { stdin: "\n" })).code).toBe(2);
    expect((await admin(phoneArgs(tenant).args, { stdin: "EAAG1\nEAAG2\n" })).code).toBe(2);
  });

  it("refuses bad digits and missing flags with exit 2, before storing anything", async () => {
    const tenant = newTenant();
    const { phoneNumberId, args } = phoneArgs(tenant);
    const cases: Array<[string, string]> = [
      ["--phone-number-id", "12ab"],
      ["--phone-number-id", "1".repeat(21)],
      ["--waba-id", "-5"],
      ["--business-id", ""],
      ["--display-phone-number", "+1 555 CALL NOW"],
      ["--display-phone-number", "++"],
    ];
    for (const [flag, value] of cases) {
      const changed = [...args];
      changed[changed.indexOf(flag) + 1] = value;
      const run = await admin([...changed, "--access-token", metaToken(), "--json"]);
      expect(run.code, `${flag} ${value}`).toBe(2);
      expect(run.json.error.kind).toBe("usage");
    }
    const missing = args.filter((_, i) => i < args.indexOf("--waba-id") || i > args.indexOf("--waba-id") + 1);
    const run = await admin([...missing, "--access-token", metaToken()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing --waba-id");
    expect(await getPhone(phoneNumberId, true)).toBeUndefined();
  });

  it("fails with exit 1 for a number that is already registered, leaving it intact", async () => {
    const tenant = newTenant();
    const { phoneNumberId, token } = await addPhone(tenant);
    const again = phoneArgs(newTenant(), phoneNumberId);
    const run = await admin([...again.args, "--access-token", metaToken()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("already registered");
    const stored = await getPhone(phoneNumberId, true);
    expect(stored?.tenantId).toBe(tenant);
    expect(decryptToken(stored?.accessTokenEncrypted ?? "", phoneNumberId)).toBe(token);
  });
});

describe("phone show", () => {
  it("shows the stored state and every change oldest first, never the token", async () => {
    const tenant = newTenant();
    const { phoneNumberId, token } = await addPhone(tenant);
    const stored = await getPhone(phoneNumberId, true);
    const change = (
      source: "api" | "webhook",
      state: { username?: string; status?: string },
      context?: string,
    ) =>
      commitUsernameChange({
        phoneNumberId,
        changes: [
          source === "api"
            ? {
                kind: "answer",
                source,
                state,
                observation: { kind: "write", sentAt: Date.now(), receivedAt: Date.now() },
                requestId: `req-${source}`,
              }
            : {
                // An entry without time: it dates nothing, so its history item carries no eventTime.
                kind: "webhook",
                event: {
                  time: Math.floor(Date.now() / 1000),
                  untimed: true,
                  status: state.status ?? "",
                  ...(state.username ? { username: state.username } : {}),
                },
                value: {
                  status: state.status ?? "",
                  ...(state.username ? { username: state.username } : {}),
                  ...(context ? { context } : {}),
                },
                requestId: `req-${source}`,
              },
        ],
      });
    await change("api", { username: "lucky_shrub", status: "reserved" });
    await change("webhook", { username: "lucky_shrub", status: "approved" });
    await change("webhook", { status: "deleted" }, "revoked");

    const run = await admin(["phone", "show", phoneNumberId, "--json"]);
    expect(run.code).toBe(0);
    expect(run.json).toEqual({
      phoneNumberId,
      tenantId: tenant,
      wabaId: stored?.wabaId,
      businessId: stored?.businessId,
      displayPhoneNumber: "15550783881",
      status: "deleted",
      updatedAt: expect.any(String),
      source: "webhook",
      context: "revoked",
      history: [
        {
          eventId: expect.stringMatching(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/),
          at: expect.any(String),
          source: "api",
          origin: "this_service",
          username: "lucky_shrub",
          status: "reserved",
          requestId: "req-api",
        },
        {
          eventId: expect.stringMatching(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/),
          at: expect.any(String),
          source: "webhook",
          origin: "this_service",
          username: "lucky_shrub",
          status: "approved",
          previousUsername: "lucky_shrub",
          previousStatus: "reserved",
          requestId: "req-webhook",
        },
        {
          eventId: expect.stringMatching(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/),
          at: expect.any(String),
          source: "webhook",
          origin: "outside",
          status: "deleted",
          previousUsername: "lucky_shrub",
          previousStatus: "approved",
          context: "revoked",
          requestId: "req-webhook",
        },
      ],
    });
    const times = run.json.history.map((event: { at: string }) => event.at);
    expect([...times].sort()).toEqual(times);

    const human = await admin(["phone", "show", phoneNumberId]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("lucky_shrub (reserved) -> lucky_shrub (approved)");
    expect(human.stdout).toContain("context revoked");
    expect(human.stdout).toMatch(/ORIGIN/);
    expect(human.stdout).toMatch(/webhook\s+outside\s+lucky_shrub \(approved\) -> \(none\) \(deleted\)/);

    // Meta's account split: every account and the WhatsApp Account id, once there is more than one id.
    const [second, alias] = [uniqueDigits(15), uniqueDigits(15)];
    expect((await admin(["phone", "add-account", phoneNumberId, "--account-id", second])).code).toBe(0);
    expect(
      (await admin(["phone", "set-account-id", phoneNumberId, "--whatsapp-account-id", alias])).code,
    ).toBe(0);
    const split = await admin(["phone", "show", phoneNumberId, "--json"]);
    expect(split.json).toMatchObject({ accountIds: [stored?.wabaId, second], whatsappAccountId: alias });
    const splitText = (await admin(["phone", "show", phoneNumberId])).stdout;
    expect(splitText).toContain(`Meta accounts       ${stored?.wabaId}, ${second}`);
    expect(splitText).toContain(`WhatsApp Account id ${alias}`);
    for (const output of [run.stdout, human.stdout]) {
      expect(output).not.toContain(token);
      expect(output).not.toContain(stored?.accessTokenEncrypted);
      expect(output).not.toMatch(/accessToken|v1\./);
    }
  });

  it("shows a number without changes with an empty history", async () => {
    const { phoneNumberId } = await addPhone(newTenant());
    const run = await admin(["phone", "show", phoneNumberId, "--json"]);
    expect(run.json.history).toEqual([]);
    expect(run.json.username).toBeUndefined();
    expect((await admin(["phone", "show", phoneNumberId])).stdout).toContain("no changes yet");
  });

  it("fails with exit 1 for an unknown number and exit 2 for a non-numeric id", async () => {
    const unknown = await admin(["phone", "show", "999999999999999", "--json"]);
    expect(unknown.code).toBe(1);
    expect(unknown.json.error.message).toContain("no phone number with id 999999999999999");
    expect((await admin(["phone", "show", "abc"])).code).toBe(2);
    expect((await admin(["phone", "show"])).code).toBe(2);
  });

  it("leaves no plaintext token anywhere in the table", async () => {
    const { token } = await addPhone(newTenant());
    const client = localClient(table.endpoint);
    const { Items = [] } = await client.send(new ScanCommand({ TableName: table.tableName }));
    client.destroy();
    expect(Items.length).toBeGreaterThan(0);
    expect(JSON.stringify(Items)).not.toContain(token);
  });
});

describe("phone list, remove and set-token", () => {
  it("lists a tenant's numbers without tokens", async () => {
    const tenant = newTenant();
    const a = await addPhone(tenant);
    const b = await addPhone(tenant);
    await addPhone(newTenant());
    const run = await admin(["phone", "list", "--tenant", tenant, "--json"]);
    expect(run.code).toBe(0);
    expect(run.json.phones.map((p: { phoneNumberId: string }) => p.phoneNumberId).sort()).toEqual(
      [a.phoneNumberId, b.phoneNumberId].sort(),
    );
    expect(run.stdout).not.toMatch(/accessToken|EAAG/);
    const human = await admin(["phone", "list", "--tenant", tenant]);
    expect(human.stdout).toMatch(/^PHONE NUMBER ID/);
    expect(human.stdout).toContain(a.phoneNumberId);
    expect((await admin(["phone", "list", "--tenant", newTenant()])).code).toBe(1);
  });

  it("removes a number; removing or showing it again fails with exit 1", async () => {
    const { phoneNumberId } = await addPhone(newTenant());
    const run = await admin(["phone", "remove", phoneNumberId, "--json"]);
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ phoneNumberId, removed: true });
    expect(await getPhone(phoneNumberId, true)).toBeUndefined();
    expect((await admin(["phone", "remove", phoneNumberId])).code).toBe(1);
    expect((await admin(["phone", "show", phoneNumberId])).code).toBe(1);
  });

  it("replaces the token from the flag or stdin; unknown numbers fail with exit 1", async () => {
    const { phoneNumberId } = await addPhone(newTenant());
    const next = metaToken();
    const run = await admin(["phone", "set-token", phoneNumberId, "--json"], { stdin: `${next}\n` });
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ phoneNumberId, tokenReplaced: true });
    const stored = await getPhone(phoneNumberId, true);
    expect(decryptToken(stored?.accessTokenEncrypted ?? "", phoneNumberId)).toBe(next);
    expect(run.stdout).not.toContain(next);

    const unknown = await admin(["phone", "set-token", "999999999999998", "--access-token", metaToken()]);
    expect(unknown.code).toBe(1);
    expect((await admin(["phone", "set-token", "12x", "--access-token", metaToken()])).code).toBe(2);
  });
});

describe("usage", () => {
  it("answers unknown commands, flags and arguments with exit 2 and a pointer to --help", async () => {
    for (const args of [
      [],
      ["nothing"],
      ["key"],
      ["key", "rotate"],
      ["tenant", "list", "--bogus"],
      ["tenant", "list", "extra"],
      ["--tenant", "t1", "key", "create"],
    ]) {
      const run = await admin(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(/^error: .+\nRun 'npx wau-admin .*--help' for usage\.\n$/);
    }
  });

  it("with --json prints exactly one JSON document for usage errors too", async () => {
    const run = await admin(["tenant", "list", "--bogus", "--json"]);
    expect(run.code).toBe(2);
    expect(run.json).toEqual({ error: { kind: "usage", message: expect.stringContaining("--bogus") } });
    const leading = await admin(["--json", "tenant", "list"]);
    expect(leading.code).toBe(0);
    expect(leading.json.tenants).toBeInstanceOf(Array);
  });

  it("has --help for the CLI and for every command", async () => {
    const general = await admin(["--help"]);
    expect(general.code).toBe(0);
    const names = [...general.stdout.matchAll(/^ {2}(tenant|key|phone) ([a-z-]+)/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(names).toEqual([
      "tenant list",
      "key create",
      "key list",
      "key revoke",
      "phone add",
      "phone show",
      "phone list",
      "phone remove",
      "phone add-account",
      "phone remove-account",
      "phone set-account-id",
      "phone set-token",
      "phone reencrypt-tokens",
      "phone sync",
    ]);
    for (const name of names) {
      const help = await admin([...name.split(" "), "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: npx wau-admin ${name}`);
      expect(help.stdout).toContain("--json");
    }
    expect((await admin(["help", "phone", "add"])).stdout).toContain("--display-phone-number <number>");
    expect((await admin(["key", "create", "-h", "--json"])).json.help).toContain("key create --tenant");
  });
});

describe("an unreachable store", () => {
  it("fails within seconds with exit 1 and says where it looked", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const run = await withEnv({ DYNAMODB_ENDPOINT: endpoint }, () => admin(["tenant", "list", "--json"]));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(run.code).toBe(1);
    expect(run.json).toEqual({
      error: { kind: "store-unreachable", message: expect.stringContaining(endpoint) },
    });
    expect(run.stderr).toContain("cannot reach DynamoDB");
    // Which variable to set, in the one line.
    expect(run.stderr).toMatch(/DYNAMODB_PORT.*DYNAMODB_ENDPOINT/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("names a missing table", async () => {
    const run = await withEnv({ TABLE_NAME: "no-such-table" }, () =>
      admin(["phone", "list", "--tenant", "t1"]),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("table no-such-table");
    expect(run.stderr).toContain("does not exist");
  });
});

describe("wau-admin (the real command)", () => {
  const storeEnv = () => ({
    DYNAMODB_ENDPOINT: table.endpoint,
    TABLE_NAME: table.tableName,
    TOKEN_ENCRYPTION_KEY: process.env.TOKEN_ENCRYPTION_KEY,
  });

  it("reads the token from stdin, prints one JSON document and exits 0", async () => {
    const tenant = newTenant();
    const token = metaToken();
    const { phoneNumberId, args } = phoneArgs(tenant);
    const run = await spawnAdmin([...args, "--json"], { stdin: `${token}\n`, env: storeEnv() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ phoneNumberId, tenantId: tenant, displayPhoneNumber: "15550783881" });
    expect(run.stdout + run.stderr).not.toContain(token);
    const stored = await getPhone(phoneNumberId, true);
    expect(decryptToken(stored?.accessTokenEncrypted ?? "", phoneNumberId)).toBe(token);

    const key = await spawnAdmin(["key", "create", "--tenant", tenant, "--json"], { env: storeEnv() });
    expect(key.code).toBe(0);
    expect(await authenticate({ "x-api-key": key.json.apiKey })).toMatchObject({ tenantId: tenant });
  });

  it("exits 2 on usage errors and 1 on an unknown id or an unreachable store", async () => {
    const usage = await spawnAdmin(["phone", "add", "--tenant", "t1"], { env: storeEnv() });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing --phone-number-id");

    const emptyStdin = await spawnAdmin([...phoneArgs(newTenant()).args, "--json"], { env: storeEnv() });
    expect(emptyStdin.code).toBe(2);
    expect(emptyStdin.json.error.message).toContain("access token is empty");

    const unknown = await spawnAdmin(["phone", "show", "999999999999997"], { env: storeEnv() });
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");

    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await spawnAdmin(["tenant", "list", "--json"], {
      env: { ...storeEnv(), DYNAMODB_ENDPOINT: closed },
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.json.error.kind).toBe("store-unreachable");
  });

  it("through npx, as the README runs it, prints exactly one JSON document on stdout", async () => {
    const tenant = newTenant();
    const created = await spawnAdmin(["key", "create", "--tenant", tenant, "--json"], {
      env: storeEnv(),
      npx: true,
    });
    expect(created.code, created.stderr).toBe(0);
    // The whole of stdout is the document: nothing before or after it (npm run prints a banner).
    expect(created.json).toMatchObject({ tenantId: tenant, apiKey: expect.stringMatching(/^wau_/) });
    expect(created.stdout.trimStart().startsWith("{")).toBe(true);

    const failed = await spawnAdmin(["phone", "show", "999999999999996", "--json"], {
      env: storeEnv(),
      npx: true,
    });
    expect(failed.code).toBe(1);
    expect(failed.json).toEqual({
      error: { kind: "failed", message: expect.stringContaining("999999999999996") },
    });
  });

  it("--version prints the package's version, as text or as one JSON document", async () => {
    const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const text = await spawnAdmin(["--version"]);
    expect({ code: text.code, stdout: text.stdout }).toEqual({ code: 0, stdout: `wau-admin ${version}\n` });
    const json = await spawnAdmin(["--version", "--json"]);
    expect(json.json).toEqual({ version });
    expect((await admin(["--json", "--version"])).json).toEqual({ version });
    // Anything else with it is a usage error, not a silent version print.
    expect((await admin(["tenant", "list", "--version"])).code).toBe(2);
  });
});
