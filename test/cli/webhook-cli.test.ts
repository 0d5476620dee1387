/**
 * The admin CLI's `webhook` commands against DynamoDB Local, in-process through `runAdmin`:
 * endpoints with their secrets (shown once, stored sealed), rotation, removal, the delivery log
 * and redelivery, with --json and the exit codes (0 done, 1 failed, 2 usage).
 */
import { randomBytes } from "node:crypto";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localClient } from "../../dev/dynamodb-local.ts";
import { issueApiKey } from "../../functions/core/admin/admin.ts";
import { MAX_ENDPOINTS_PER_TENANT } from "../../functions/core/admin/webhooks.ts";
import { dynamo, setDynamoClient } from "../../functions/core/store/client.ts";
import { appendToFeed } from "../../functions/core/store/event-feed.ts";
import { findEndpoint } from "../../functions/core/store/webhook-endpoints.ts";
import { openEndpointSecret } from "../../functions/core/tenant-webhooks/endpoint-secret.ts";
import { admin } from "../support/admin-cli.ts";
import { useTestTable } from "../support/test-table.ts";

let table: { tableName: string; endpoint: string };

beforeAll(async () => {
  table = await useTestTable();
});
afterAll(() => {
  dynamo().destroy();
  setDynamoClient(undefined);
});

async function knownTenant(): Promise<string> {
  const tenantId = `tenant-${randomBytes(4).toString("hex")}`;
  await issueApiKey(tenantId, "webhook cli");
  return tenantId;
}

/** Every item of the table as one JSON text: what an operator with table access could read. */
async function tableText(): Promise<string> {
  const client = localClient(table.endpoint);
  try {
    return JSON.stringify((await client.send(new ScanCommand({ TableName: table.tableName }))).Items);
  } finally {
    client.destroy();
  }
}

describe("webhook add", () => {
  it("prints the signing secret once (--json: id, url, secret, eventTypes) and stores it sealed, never in the clear", async () => {
    const tenant = await knownTenant();
    const run = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "https://hooks.example.com/usernames",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.json)).toEqual(["id", "url", "secret", "eventTypes"]);
    expect(run.json).toEqual({
      id: expect.stringMatching(/^ep_[0-9a-f]{20}$/),
      url: "https://hooks.example.com/usernames",
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      // What it receives when --types is not given: every change.
      eventTypes: ["username.updated"],
    });
    expect(await tableText()).not.toContain(run.json.secret.slice("whsec_".length));

    const text = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "https://hooks.example.com/other",
    ]);
    expect(text.code).toBe(0);
    const secret = /whsec_\S+/.exec(text.stdout)?.[0] as string;
    expect(text.stdout.split(secret)).toHaveLength(2);
    expect(text.stdout).toContain("shown only now");

    const list = await admin(["webhook", "list", "--tenant", tenant, "--json"]);
    expect(list.json.endpoints.map((e: { url: string }) => e.url)).toEqual([
      "https://hooks.example.com/usernames",
      "https://hooks.example.com/other",
    ]);
    expect(list.stdout).not.toContain("whsec_");
    expect(list.stdout).not.toContain("secretSealed");
  });

  it.each([
    ["http://hooks.example.com/x", "must be https"],
    ["ftp://hooks.example.com/x", "must be https"],
    ["https://user:pass@hooks.example.com/x", "user name or password"],
    ["https://hooks.example.com/x#frag", "fragment"],
    ["hooks.example.com/x", "absolute URL"],
  ])("refuses %s as a usage error (exit 2)", async (url, message) => {
    const tenant = await knownTenant();
    const run = await admin(["webhook", "add", "--tenant", tenant, "--url", url, "--json"]);
    expect(run.code).toBe(2);
    expect(run.json.error.message).toContain(message);
  });

  it("accepts http on loopback with a local store, for receivers on the developer's machine", async () => {
    const tenant = await knownTenant();
    const run = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "http://127.0.0.1:4000/hooks",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
  });

  it("refuses an unknown tenant and more than the endpoint limit (exit 1)", async () => {
    const unknown = await admin([
      "webhook",
      "add",
      "--tenant",
      "no-such-tenant",
      "--url",
      "https://a.example/x",
      "--json",
    ]);
    expect(unknown.code).toBe(1);
    const tenant = await knownTenant();
    for (let i = 0; i < MAX_ENDPOINTS_PER_TENANT; i++) {
      expect(
        (await admin(["webhook", "add", "--tenant", tenant, "--url", `https://a.example/${i}`])).code,
      ).toBe(0);
    }
    const over = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "https://a.example/over",
      "--json",
    ]);
    expect(over.code).toBe(1);
    expect(over.json.error.message).toContain(`${MAX_ENDPOINTS_PER_TENANT} endpoints`);
  });
});

describe("webhook event types", () => {
  it("adds an endpoint with --types, lists its types, changes them with set-types, refuses unknown ones (exit 2)", async () => {
    const tenant = await knownTenant();
    const url = "https://hooks.example.com/outside";
    const added = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      url,
      "--types",
      "username.changed_outside",
      "--json",
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.json.eventTypes).toEqual(["username.changed_outside"]);
    const id = added.json.id as string;
    expect((await findEndpoint(id))?.eventTypes).toEqual(["username.changed_outside"]);
    const listed = await admin(["webhook", "list", "--tenant", tenant, "--json"]);
    expect(listed.json.endpoints).toEqual([
      expect.objectContaining({ id, eventTypes: ["username.changed_outside"] }),
    ]);
    const text = await admin(["webhook", "list", "--tenant", tenant]);
    expect(text.stdout).toMatch(/TYPES/);
    expect(text.stdout).toContain("username.changed_outside");

    const set = await admin([
      "webhook",
      "set-types",
      id,
      "username.updated,username.changed_outside",
      "--json",
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.json).toEqual({
      id,
      tenantId: tenant,
      eventTypes: ["username.updated", "username.changed_outside"],
    });
    expect((await findEndpoint(id))?.eventTypes).toEqual(["username.updated", "username.changed_outside"]);

    for (const bad of ["username.deleted", "", "username.updated,username.updated"]) {
      const refused = await admin(["webhook", "set-types", id, bad]);
      expect(refused.code, bad).toBe(2);
      expect(refused.stderr).toContain("username.updated, username.changed_outside");
      // Named as the command takes them: an argument here, not an option.
      expect(refused.stderr).toMatch(/^.*\btypes must name/m);
      expect(refused.stderr).not.toContain("--types");
    }
    const refusedAdd = await admin(["webhook", "add", "--tenant", tenant, "--url", url, "--types", "all"]);
    expect(refusedAdd.code).toBe(2);
    expect(refusedAdd.stderr).toContain("--types must name");
    // Nothing changed by the refusals.
    expect((await findEndpoint(id))?.eventTypes).toEqual(["username.updated", "username.changed_outside"]);
  });
});

describe("webhook rotate-secret and remove", () => {
  it("rotates to a new secret shown once, then removes the endpoint", async () => {
    const tenant = await knownTenant();
    const added = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "https://b.example/x",
      "--json",
    ]);
    const rotated = await admin(["webhook", "rotate-secret", added.json.id, "--json"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    // The previous secret signs beside the new one for the default overlap, 24 hours.
    expect(rotated.json).toEqual({
      id: added.json.id,
      url: "https://b.example/x",
      secret: expect.stringMatching(/^whsec_/),
      previousSecretExpiresAt: expect.any(String),
    });
    const overlapEnd = Date.parse(rotated.json.previousSecretExpiresAt) - Date.now();
    expect(overlapEnd).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(overlapEnd).toBeLessThanOrEqual(24 * 3600_000);
    expect(rotated.json.secret).not.toBe(added.json.secret);
    const text = await tableText();
    expect(text).not.toContain(rotated.json.secret.slice("whsec_".length));
    const list = await admin(["webhook", "list", "--tenant", tenant, "--json"]);
    expect(list.json.endpoints[0].secretRotatedAt).toEqual(expect.any(String));
    expect(list.json.endpoints[0].previousSecretExpiresAt).toBe(rotated.json.previousSecretExpiresAt);
    const listed = await admin(["webhook", "list", "--tenant", tenant]);
    expect(listed.stdout).toContain("PREVIOUS SECRET SIGNS UNTIL");
    expect(listed.stdout).toContain(rotated.json.previousSecretExpiresAt);

    const removed = await admin(["webhook", "remove", added.json.id, "--json"]);
    expect(removed.json).toEqual({ id: added.json.id, tenantId: tenant, removed: true });
    expect((await admin(["webhook", "list", "--tenant", tenant, "--json"])).json.endpoints).toEqual([]);
    expect((await admin(["webhook", "remove", added.json.id])).code).toBe(1);
    expect((await admin(["webhook", "rotate-secret", added.json.id])).code).toBe(1);
  });

  it("refuses malformed ids as usage errors (exit 2)", async () => {
    for (const args of [
      ["webhook", "remove", "ep_nothex"],
      ["webhook", "rotate-secret", "123"],
      ["webhook", "redeliver", "evt_short"],
      ["webhook", "redeliver", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "--endpoint", "bad"],
    ]) {
      expect((await admin(args)).code, args.join(" ")).toBe(2);
    }
  });
});

describe("webhook reseal-secrets", () => {
  it("re-seals endpoint secrets under a new encryption key (key rotation), idempotently, the secret unchanged", async () => {
    const oldKey = process.env.TOKEN_ENCRYPTION_KEY as string;
    const newKey = randomBytes(32).toString("base64");
    const tenant = await knownTenant();
    const added = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "https://c.example/x",
      "--json",
    ]);
    try {
      process.env.TOKEN_ENCRYPTION_KEY = newKey;
      process.env.TOKEN_ENCRYPTION_KEY_PREVIOUS = oldKey;
      const first = await admin(["webhook", "reseal-secrets", "--json"]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.json.resealed).toContain(added.json.id);
      expect((await admin(["webhook", "reseal-secrets", "--json"])).json.resealed).toEqual([]);
      delete process.env.TOKEN_ENCRYPTION_KEY_PREVIOUS;
      const endpoint = await findEndpoint(added.json.id);
      expect(openEndpointSecret(endpoint?.secretSealed as string, added.json.id)).toBe(added.json.secret);
    } finally {
      process.env.TOKEN_ENCRYPTION_KEY = oldKey;
      delete process.env.TOKEN_ENCRYPTION_KEY_PREVIOUS;
    }
    // A secret sealed under a key that is gone cannot be opened: reported, exit 1.
    const failed = await admin(["webhook", "reseal-secrets", "--json"]);
    expect(failed.code).toBe(1);
    expect(failed.json.error.message).toContain(added.json.id);
  });
});

describe("webhook deliveries and redeliver", () => {
  it("lists an empty log, takes --failed as a switch and bounds --limit", async () => {
    const tenant = await knownTenant();
    const all = await admin(["webhook", "deliveries", "--tenant", tenant, "--json"]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.json).toEqual({ deliveries: [] });
    const failed = await admin(["webhook", "deliveries", "--tenant", tenant, "--failed"]);
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain("no failed deliveries");
    expect((await admin(["webhook", "deliveries", "--tenant", tenant, "--limit", "0"])).code).toBe(2);
    expect((await admin(["webhook", "deliveries", "--tenant", tenant, "--failed=yes"])).code).toBe(2);
    expect((await admin(["webhook", "deliveries", "--tenant", "nobody-here"])).code).toBe(1);
  });

  it("pages the log with --after: every event once, newest first, `next` printed while more follow", async () => {
    const tenant = await knownTenant();
    const added = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "http://127.0.0.1:9/hooks",
      "--json",
    ]);
    expect(added.code, added.stderr).toBe(0);
    const ids = Array.from(
      { length: 5 },
      (_, i) => `evt_01M8QHCCCCCCCCCCCCCCCCCC${String(i).padStart(2, "0")}`,
    );
    const outcome = await appendToFeed(
      tenant,
      0,
      ids.map((id) => ({
        id,
        type: "username.updated" as const,
        created_time: new Date().toISOString(),
        data: {
          phone_number_id: "1",
          waba_id: "2",
          display_phone_number: "3",
          previous: {},
          source: "api" as const,
          origin: "this_service" as const,
        },
      })),
    );
    expect(outcome.appended).toBe(true);
    const seen: string[] = [];
    const nexts: (string | undefined)[] = [];
    let after: string | undefined;
    do {
      const page = await admin([
        "webhook",
        "deliveries",
        "--tenant",
        tenant,
        "--limit",
        "2",
        ...(after ? ["--after", after] : []),
        "--json",
      ]);
      expect(page.code, page.stderr).toBe(0);
      seen.push(...page.json.deliveries.map((d: { eventId: string }) => d.eventId));
      after = page.json.next;
      nexts.push(after);
    } while (after);
    expect(seen).toEqual([...ids].reverse());
    expect(nexts).toEqual(["4", "2", undefined]);
    const text = await admin(["webhook", "deliveries", "--tenant", tenant, "--limit", "2"]);
    expect(text.stdout).toContain("More: --after 4");
    const bad = await admin(["webhook", "deliveries", "--tenant", tenant, "--after", "x"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--after");
    const failedPosition = await admin([
      "webhook",
      "deliveries",
      "--tenant",
      tenant,
      "--failed",
      "--after",
      "4",
    ]);
    expect(failedPosition.code).toBe(2);
  });

  it("says which event ids no feed holds (exit 1)", async () => {
    const run = await admin(["webhook", "redeliver", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "--json"]);
    expect(run.code).toBe(1);
    expect(run.json.error.message).toContain("no event with id");
  });

  it("documents the group in --help", async () => {
    const group = await admin(["webhook", "--help"]);
    for (const name of [
      "add",
      "list",
      "remove",
      "rotate-secret",
      "deliveries",
      "redeliver",
      "reseal-secrets",
    ]) {
      expect(group.stdout).toContain(`webhook ${name}`);
    }
    const deliveries = await admin(["webhook", "deliveries", "--help"]);
    expect(deliveries.stdout).toContain("[--failed]");
  });
});
