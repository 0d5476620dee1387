/**
 * Idempotency-Key on POST and DELETE (Stripe semantics, docs/reliability.md): a retried request
 * is answered from the record without reaching Meta, a reused key with another request is 422,
 * a key still in flight is 409, a "try again" answer frees the key, and without the header
 * nothing changes. Real DynamoDB Local and the sandbox over HTTP throughout.
 */
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { dynamo, tableName } from "../../functions/core/store/client.ts";
import type { Answer } from "../support/lambda.ts";
import { type CallOptions, callUsernameApi, type Operation } from "../support/username-client.ts";
import {
  type SeededPhone,
  type SeededTenant,
  seedPhone,
  seedTenant,
  storedState,
  uniqueDigits,
  useWorld,
} from "../support/world.ts";
import { expectConsistent, type Item, idempotencyItems } from "./helpers/store-snapshot.ts";

const world = useWorld();

let counter = 0;
function uniqueKey(): string {
  counter += 1;
  return `key-${counter}-${uniqueDigits(8)}`;
}
function uniqueName(): string {
  counter += 1;
  return `idem_${counter}_${uniqueDigits(6)}`;
}

async function owner(): Promise<{ tenant: SeededTenant; phone: SeededPhone }> {
  const tenant = await seedTenant();
  return { tenant, phone: await seedPhone(world, tenant) };
}

function send(
  operation: Operation,
  who: { tenant: SeededTenant; phone: SeededPhone },
  key: string | undefined,
  options: CallOptions = {},
): Promise<Answer> {
  return callUsernameApi(operation, who.phone.phoneNumberId, {
    apiKey: who.tenant.apiKey,
    ...options,
    headers: { ...(key === undefined ? {} : { "idempotency-key": key }), ...options.headers },
  });
}

const sandboxCalls = () => world.sandbox.requests().length;

async function recordFor(phoneNumberId: string): Promise<Item[]> {
  return (await idempotencyItems()).filter((item) => String(item.pk).endsWith(`#${phoneNumberId}`));
}

describe("same key, same request: the stored answer, Meta not called again", () => {
  it("POST: replays status and body byte for byte with idempotent-replayed: true", async () => {
    const who = await owner();
    const body = { username: uniqueName() };
    const key = uniqueKey();

    const first = await send("claim", who, key, { body });
    expect(first.status).toBe(200);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(sandboxCalls()).toBe(1);
    const afterFirst = await expectConsistent(who.phone.phoneNumberId);

    // Same body, other key order and whitespace: the same request.
    const again = await send("claim", who, key, { rawBody: `{ "username" : "${body.username}" }` });
    expect(again.status).toBe(200);
    expect(again.body).toBe(first.body);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.headers["cache-control"]).toBe("no-store");
    expect(sandboxCalls()).toBe(1);
    expect(await storedState(who.phone.phoneNumberId)).toEqual(afterFirst);

    const [record] = await recordFor(who.phone.phoneNumberId);
    expect(record).toMatchObject({ state: "completed", statusCode: 200, body: first.body });
    // Kept 24 h: DynamoDB's TTL attribute, in epoch seconds.
    const ttl = Number(record?.expiresAt) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(24 * 3600 - 120);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
    // Only a hash of the key is stored.
    expect(JSON.stringify(record)).not.toContain(key);
  });

  it("DELETE: replays {success:true} and records the deletion once", async () => {
    const who = await owner();
    expect((await send("claim", who, undefined, { body: { username: uniqueName() } })).status).toBe(200);
    const key = uniqueKey();

    const first = await send("delete", who, key);
    const again = await send("delete", who, key);

    expect(first.json).toEqual({ success: true });
    expect(again.body).toBe(first.body);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(world.sandbox.requests().filter((r) => r.method === "DELETE")).toHaveLength(1);
    const { history } = await expectConsistent(who.phone.phoneNumberId);
    expect(history.map((event) => event.status)).toEqual(["reserved", "deleted"]);
  });

  it("a final refusal from Meta (147001) is replayed too, without asking Meta again", async () => {
    const who = await owner();
    const taken = uniqueName();
    world.sandbox.markTaken(taken);
    const key = uniqueKey();

    const first = await send("claim", who, key, { body: { username: taken } });
    const again = await send("claim", who, key, { body: { username: taken } });

    expect(first.status).toBe(400);
    expect(first.json.error.code).toBe(147001);
    expect(again.status).toBe(400);
    expect(again.body).toBe(first.body);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(sandboxCalls()).toBe(1);
  });
});

describe("same key, different request: 422 code 100, nothing done", () => {
  it("another body, another method or another version are all different requests", async () => {
    const who = await owner();
    const key = uniqueKey();
    expect((await send("claim", who, key, { body: { username: uniqueName() } })).status).toBe(200);
    const before = await storedState(who.phone.phoneNumberId);
    world.sandbox.clearRequests();

    const others: Array<[Operation, CallOptions]> = [
      ["claim", { body: { username: uniqueName() } }],
      ["claim", { body: { username: "placeholder_name", transfer_action: "force_transfer" } }],
      ["delete", {}],
      ["claim", { version: "v23.0", body: { username: uniqueName() } }],
    ];
    for (const [operation, options] of others) {
      const answer = await send(operation, who, key, options);
      expect(answer.status).toBe(422);
      expect(answer.json.error).toMatchObject({ code: 100, type: "OAuthException" });
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    }
    expect(sandboxCalls()).toBe(0);
    expect(await storedState(who.phone.phoneNumberId)).toEqual(before);
  });

  it("the key is scoped to tenant and phone number: elsewhere it is a new request", async () => {
    const who = await owner();
    const sibling = { tenant: who.tenant, phone: await seedPhone(world, who.tenant) };
    const stranger = await owner();
    const key = uniqueKey();

    for (const target of [who, sibling, stranger]) {
      const answer = await send("claim", target, key, { body: { username: uniqueName() } });
      expect(answer.status).toBe(200);
      expect(answer.headers["idempotent-replayed"]).toBeUndefined();
    }
    expect(sandboxCalls()).toBe(3);
  });
});

describe("same key still in flight: 409 code 100", () => {
  let savedTimeout: string | undefined;
  afterEach(() => {
    process.env.META_TIMEOUT_MS = savedTimeout;
  });

  it("answers 409 while the first runs, then replays the first's answer", async () => {
    savedTimeout = process.env.META_TIMEOUT_MS;
    process.env.META_TIMEOUT_MS = "20000";
    const who = await owner();
    const body = { username: uniqueName() };
    const key = uniqueKey();
    world.sandbox.injectFault({ mode: "slow", delayMs: 1_500 });

    const first = send("claim", who, key, { body });
    // Wait until the first request holds the key (its record is in the table).
    for (let i = 0; i < 200 && (await recordFor(who.phone.phoneNumberId)).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const during = await send("claim", who, key, { body });
    const duringOther = await send("claim", who, key, { body: { username: uniqueName() } });

    expect(during.status).toBe(409);
    expect(during.json.error).toMatchObject({ code: 100, is_transient: true });
    expect(duringOther.status).toBe(422);
    expect((await first).status).toBe(200);
    const after = await send("claim", who, key, { body });
    expect(after.status).toBe(200);
    expect(after.body).toBe((await first).body);
    expect(after.headers["idempotent-replayed"]).toBe("true");
    expect(sandboxCalls()).toBe(1);
  });

  it("a holder that cannot still be running (lease past its Lambda's end) is taken over", async () => {
    const who = await owner();
    const key = uniqueKey();
    const body = { username: uniqueName() };
    expect((await send("claim", who, key, { body })).status).toBe(200);
    const [record] = await recordFor(who.phone.phoneNumberId);
    // As if an invocation had acquired the key and then died (Lambda timeout) before answering.
    await setRecord(record as Item, "SET #state = :s, lockedUntil = :past, lockToken = :t", {
      ":s": "in-progress",
      ":past": Date.now() - 1,
      ":t": "dead-invocation",
    });

    const retry = await send("claim", who, key, { body });
    expect(retry.status).toBe(200);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    expect(sandboxCalls()).toBe(2);
    expect((await recordFor(who.phone.phoneNumberId))[0]).toMatchObject({ state: "completed" });
  });
});

describe("answers that say 'try again' free the key", () => {
  it.each([
    ["Meta 503", { mode: "status", status: 503 } as const, 503],
    ["Meta 500 with its own envelope", { mode: "status", status: 500 } as const, 500],
    ["Meta 429", { mode: "status", status: 429 } as const, 429],
    ["a reset connection (502 code 2)", { mode: "reset" } as const, 502],
    ["garbage (502 code 2)", { mode: "garbage" } as const, 502],
  ])("%s: the retry with the same key runs and its answer is kept", async (_, fault, status) => {
    const who = await owner();
    const key = uniqueKey();
    const body = { username: uniqueName() };
    const before = await storedState(who.phone.phoneNumberId);
    world.sandbox.injectFault(fault);

    const failed = await send("claim", who, key, { body });
    expect(failed.status).toBe(status);
    expect(await storedState(who.phone.phoneNumberId)).toEqual(before);
    expect(await recordFor(who.phone.phoneNumberId)).toEqual([]);

    const retry = await send("claim", who, key, { body });
    expect(retry.status).toBe(200);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
    expect(sandboxCalls()).toBe(2);
    const replay = await send("claim", who, key, { body });
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(sandboxCalls()).toBe(2);
    await expectConsistent(who.phone.phoneNumberId);
  });

  it("a Meta rate limit that arrives as HTTP 400 (code 80007) is not kept either", async () => {
    const who = await owner();
    const key = uniqueKey();
    const limited = { error: { message: "(#80007) Rate limit issues", type: "OAuthException", code: 80007 } };
    world.sandbox.injectFault({ mode: "status", status: 400, body: limited });

    expect((await send("delete", who, key)).json.error.code).toBe(80007);
    expect((await send("delete", who, key)).status).toBe(200);
    expect(sandboxCalls()).toBe(2);
  });
});

describe("validation comes first; without the header nothing changes", () => {
  it.each([
    ["empty", ""],
    ["256 characters", "k".repeat(256)],
    ["a non-ASCII character", "clé-1"],
    ["a control character", "key\u0001"],
    ["a leading space", " key"],
    ["a trailing space", "key "],
  ])("a key that is %s: 400 code 100, nothing stored, Meta not called", async (_, key) => {
    const who = await owner();
    for (const operation of ["claim", "delete"] as const) {
      const answer = await send(operation, who, key, { body: { username: uniqueName() } });
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe(100);
      expect(answer.json.error.error_data.details).toMatch(/Idempotency-Key/);
    }
    expect(sandboxCalls()).toBe(0);
    expect(await recordFor(who.phone.phoneNumberId)).toEqual([]);
  });

  it("255 printable characters, inner spaces included, are a valid key", async () => {
    const who = await owner();
    const key = `a b~!${"x".repeat(250)}`;
    expect(key).toHaveLength(255);
    expect((await send("claim", who, key, { body: { username: uniqueName() } })).status).toBe(200);
  });

  it("an invalid body or a foreign number wins over the key and leaves no record", async () => {
    const who = await owner();
    const stranger = await owner();
    const key = uniqueKey();

    const badBody = await send("claim", who, key, { body: { username: "no" } });
    expect(badBody.status).toBe(400);
    const foreign = await callUsernameApi("claim", stranger.phone.phoneNumberId, {
      apiKey: who.tenant.apiKey,
      headers: { "idempotency-key": key },
      body: { username: uniqueName() },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.code).toBe(33);

    expect(sandboxCalls()).toBe(0);
    expect(
      (await idempotencyItems()).filter((item) => String(item.pk).includes(who.tenant.tenantId)),
    ).toEqual([]);
    // The key was never used up: the valid request with it runs.
    expect((await send("claim", who, key, { body: { username: uniqueName() } })).status).toBe(200);
  });

  it("GETs ignore the header, even a malformed one", async () => {
    const who = await owner();
    for (const key of ["", "same-key", "same-key"]) {
      expect((await send("get", who, key)).status).toBe(200);
      expect((await send("suggestions", who, key)).status).toBe(200);
    }
    expect(sandboxCalls()).toBe(6);
    expect(await recordFor(who.phone.phoneNumberId)).toEqual([]);
  });

  it("without the header, every request runs (and stores no record)", async () => {
    const who = await owner();
    const body = { username: uniqueName() };
    expect((await send("claim", who, undefined, { body })).status).toBe(200);
    expect((await send("claim", who, undefined, { body })).status).toBe(200);
    expect(sandboxCalls()).toBe(2);
    expect(await recordFor(who.phone.phoneNumberId)).toEqual([]);
  });

  it("an expired record (TTL not yet swept by DynamoDB) no longer answers for the key", async () => {
    const who = await owner();
    const key = uniqueKey();
    const body = { username: uniqueName() };
    expect((await send("claim", who, key, { body })).status).toBe(200);
    const [record] = await recordFor(who.phone.phoneNumberId);
    await setRecord(record as Item, "SET expiresAt = :past", { ":past": Math.floor(Date.now() / 1000) - 1 });

    const later = await send("claim", who, key, { body });
    expect(later.headers["idempotent-replayed"]).toBeUndefined();
    expect(sandboxCalls()).toBe(2);
  });
});

async function setRecord(record: Item, update: string, values: Record<string, unknown>): Promise<void> {
  await dynamo().send(
    new UpdateCommand({
      TableName: tableName(),
      Key: { pk: record.pk, sk: record.sk },
      UpdateExpression: update,
      ...(update.includes("#state") ? { ExpressionAttributeNames: { "#state": "state" } } : {}),
      ExpressionAttributeValues: values,
    }),
  );
}
