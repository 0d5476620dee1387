/**
 * What the admin CLI prints of text that came from outside (issue 22, findings 4 and 5): endpoint
 * URLs, endpoints' answers and Meta's status and context reach the operator's terminal with their
 * control, C1 and bidirectional characters escaped (text output) or `\u` escaped (--json, whose
 * parsed value is unchanged); and no secret typed in the wrong place is ever printed back.
 * Run in-process through `runAdmin` against DynamoDB Local.
 */
import { randomBytes } from "node:crypto";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueApiKey } from "../../functions/core/admin/admin.ts";
import { registerPhone } from "../../functions/core/admin/numbers.ts";
import { dynamo, setDynamoClient, tableName } from "../../functions/core/store/client.ts";
import { appendToFeed } from "../../functions/core/store/event-feed.ts";
import { keys } from "../../functions/core/store/keys.ts";
import { putDeliveries } from "../../functions/core/store/webhook-deliveries.ts";
import { createEndpoint, listEndpointsWithVersion } from "../../functions/core/store/webhook-endpoints.ts";
import { sealEndpointSecret } from "../../functions/core/tenant-webhooks/endpoint-secret.ts";
import { admin } from "../support/admin-cli.ts";
import { useTestTable } from "../support/test-table.ts";

beforeAll(async () => {
  await useTestTable();
});
afterAll(() => {
  dynamo().destroy();
  setDynamoClient(undefined);
});

/** ESC sequences, a C1 CSI, NEL, bidi overrides and isolates, line separators, a BOM. */
const HOSTILE = "\u001b[2J\u001b]0;owned\u0007\u009b31m\u0085\u202egnp.exe\u2066x\u2069\u200f\u2028\ufeff";
const RAW =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach the terminal raw.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/;

async function knownTenant(): Promise<string> {
  const tenantId = `tenant-${randomBytes(4).toString("hex")}`;
  await issueApiKey(tenantId, "operator output");
  return tenantId;
}

/** An endpoint stored with a hostile URL, as an older version (or a direct write) may have left it. */
async function hostileEndpoint(tenantId: string) {
  const id = `ep_${randomBytes(10).toString("hex")}`;
  const url = `https://hooks.example.com/${HOSTILE}`;
  await createEndpoint(
    {
      id,
      tenantId,
      url,
      secretSealed: sealEndpointSecret(`whsec_${randomBytes(32).toString("base64")}`, id),
      createdAt: new Date(Date.now() - 60_000).toISOString(),
    },
    (await listEndpointsWithVersion(tenantId)).version,
  );
  return { id, url };
}

describe("hostile text in operator output", () => {
  it("webhook list: the URL's control, C1 and bidi characters escaped in text, \\u-escaped in JSON", async () => {
    const tenant = await knownTenant();
    const endpoint = await hostileEndpoint(tenant);
    const text = await admin(["webhook", "list", "--tenant", tenant]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(RAW);
    expect(text.stdout).toContain("\\x1b[2J");
    expect(text.stdout).toContain("\\u202egnp.exe");
    const json = await admin(["webhook", "list", "--tenant", tenant, "--json"]);
    expect(json.stdout).not.toMatch(RAW);
    expect(json.json.endpoints[0].url).toBe(endpoint.url);
  });

  it("webhook deliveries: an answer's excerpt and error with such characters never reach the terminal raw", async () => {
    const tenant = await knownTenant();
    const endpoint = await hostileEndpoint(tenant);
    const eventId = `evt_01M8QN${randomBytes(10).toString("hex").toUpperCase()}`.slice(0, 30);
    await appendToFeed(tenant, 0, [
      {
        id: eventId,
        type: "username.updated",
        created_time: new Date().toISOString(),
        data: {
          phone_number_id: "1",
          waba_id: "2",
          display_phone_number: "3",
          previous: {},
          source: "api",
          origin: "this_service",
        },
      },
    ]);
    await putDeliveries([
      {
        ref: { tenantId: tenant, endpointId: endpoint.id, eventId, sequence: 1 },
        state: {
          status: "failed",
          attempts: 8,
          lastAttempt: {
            at: new Date().toISOString(),
            durationMs: 12,
            responseStatus: 500,
            error: `HTTP 500 ${HOSTILE}`,
            responseExcerpt: `oops ${HOSTILE}`,
          },
          finishedAt: new Date().toISOString(),
        },
      },
    ]);
    for (const args of [
      ["webhook", "deliveries", "--tenant", tenant],
      ["webhook", "deliveries", "--tenant", tenant, "--failed"],
    ]) {
      const text = await admin(args);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(eventId);
      expect(text.stdout).not.toMatch(RAW);
      const json = await admin([...args, "--json"]);
      expect(json.stdout).not.toMatch(RAW);
      expect(json.json.deliveries[0].lastResponseExcerpt).toBe(`oops ${HOSTILE}`);
    }
  });

  it("phone show: Meta's status and context escaped, in the record and its history", async () => {
    const tenant = await knownTenant();
    const phoneNumberId = String(100_000_000_000_000 + Math.floor(Math.random() * 1e12));
    await registerPhone({
      tenantId: tenant,
      phoneNumberId,
      wabaId: String(200_000_000_000_000 + Math.floor(Math.random() * 1e12)),
      businessId: String(300_000_000_000_000 + Math.floor(Math.random() * 1e12)),
      displayPhoneNumber: "15550783881",
      accessToken: `EAA${randomBytes(30).toString("hex")}`,
    });
    await dynamo().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: keys.phone(phoneNumberId),
        UpdateExpression: "SET #status = :status, #context = :context, username = :username",
        ExpressionAttributeNames: { "#status": "status", "#context": "context" },
        ExpressionAttributeValues: {
          ":status": `approved${HOSTILE}`,
          ":context": `revoked\nusername lucky_shrub (approved)${HOSTILE}`,
          ":username": "lucky_shrub",
        },
      }),
    );
    const text = await admin(["phone", "show", phoneNumberId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toMatch(RAW);
    expect(text.stdout).toContain("approved\\x1b[2J");
    // A newline in Meta's context is no line of its own.
    expect(text.stdout).toContain("revoked\\x0ausername lucky_shrub (approved)");
    const json = await admin(["phone", "show", phoneNumberId, "--json"]);
    expect(json.stdout).not.toMatch(RAW);
  });

  it("webhook add refuses a URL with control or bidirectional characters", async () => {
    const tenant = await knownTenant();
    for (const url of ["https://hooks.example.com/a\u202eb", "https://hooks.example.com/\u0085x"]) {
      const run = await admin(["webhook", "add", "--tenant", tenant, "--url", url, "--json"]);
      expect(run.code).toBe(2);
      expect(run.json.error.message).toContain("control or bidirectional characters");
      expect(run.stdout).not.toMatch(RAW);
      expect(run.stderr).not.toMatch(RAW);
    }
  });
});

describe("secrets typed in the wrong place", () => {
  const secret = `whsec_${randomBytes(32).toString("base64")}`;
  const apiKey = `wau_${randomBytes(24).toString("base64url")}`;
  const metaToken = `EAA${randomBytes(40).toString("hex")}`;

  it.each([
    ["an extra argument", (s: string) => ["webhook", "rotate-secret", "ep_0123456789abcdef0123", s]],
    ["the endpoint id", (s: string) => ["webhook", "rotate-secret", s]],
    ["the event id", (s: string) => ["webhook", "redeliver", s]],
    [
      "--endpoint",
      (s: string) => ["webhook", "redeliver", "evt_01ARZ3NDEKTSV4RRFFQ69G5FAV", "--endpoint", s],
    ],
    ["--tenant", (s: string) => ["webhook", "list", "--tenant", s]],
    ["--limit", (s: string) => ["webhook", "deliveries", "--tenant", "t1", "--limit", s]],
    ["--after", (s: string) => ["webhook", "deliveries", "--tenant", "t1", "--after", s]],
    ["--overlap", (s: string) => ["webhook", "rotate-secret", "ep_0123456789abcdef0123", "--overlap", s]],
    ["a phone id", (s: string) => ["phone", "show", s]],
    ["a key id", (s: string) => ["key", "revoke", s]],
  ])("never prints back a secret given as %s", async (_, args) => {
    for (const value of [secret, apiKey, metaToken]) {
      for (const json of [false, true]) {
        const run = await admin([...args(value), ...(json ? ["--json"] : [])]);
        expect(run.code).toBeGreaterThan(0);
        const output = run.stdout + run.stderr;
        for (const part of [value, value.slice(6), value.slice(4, 30)]) expect(output).not.toContain(part);
      }
    }
  });

  it("still quotes a short mistyped value back", async () => {
    const run = await admin(["webhook", "rotate-secret", "ep_0123456789abcdef0123", "extra"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unexpected argument 'extra'");
  });
});

describe("webhook rotate-secret --overlap", () => {
  it("takes 0 or a duration, prints when the previous secret stops, and refuses anything else", async () => {
    const tenant = await knownTenant();
    const added = await admin([
      "webhook",
      "add",
      "--tenant",
      tenant,
      "--url",
      "https://d.example/x",
      "--json",
    ]);
    const rotated = await admin(["webhook", "rotate-secret", added.json.id, "--overlap", "2h", "--json"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const left = Date.parse(rotated.json.previousSecretExpiresAt) - Date.now();
    expect(left).toBeGreaterThan(2 * 3600_000 - 60_000);
    expect(left).toBeLessThanOrEqual(2 * 3600_000);
    const text = await admin(["webhook", "rotate-secret", added.json.id, "--overlap", "30m"]);
    expect(text.stdout).toContain("carries a signature with the previous secret too");
    const none = await admin(["webhook", "rotate-secret", added.json.id, "--overlap", "0", "--json"]);
    expect(Object.keys(none.json)).toEqual(["id", "url", "secret"]);
    const list = await admin(["webhook", "list", "--tenant", tenant, "--json"]);
    expect(list.json.endpoints[0].previousSecretExpiresAt).toBeUndefined();
    for (const bad of ["8d", "-1h", "1w", "soon", "1.5h"]) {
      const run = await admin(["webhook", "rotate-secret", added.json.id, "--overlap", bad]);
      expect(run.code, bad).toBe(2);
      expect(run.stderr).toContain("--overlap");
    }
  });
});
