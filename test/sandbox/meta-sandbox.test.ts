/**
 * The Meta sandbox over real HTTP: Meta's rules for the four username endpoints, the
 * control API, faults, request recording and signed webhook delivery.
 */
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildWebhookPayload,
  type MetaSandbox,
  type SandboxPhoneInput,
  signWebhookBody,
  startMetaSandbox,
} from "../../meta-sandbox/index.ts";

const V = "v24.0";
const SECRET = "app-secret-for-tests";

// Two phones of one business portfolio and one of another.
const A1: SandboxPhoneInput = {
  phoneNumberId: "1001",
  accessToken: "token-a1",
  wabaId: "waba-1",
  businessId: "biz-1",
  displayPhoneNumber: "+1 555-078-3881",
  displayName: "Lucky Shrub",
};
const A2: SandboxPhoneInput = {
  phoneNumberId: "1002",
  accessToken: "token-a2",
  wabaId: "waba-1",
  businessId: "biz-1",
  displayPhoneNumber: "15550783882",
};
const B1: SandboxPhoneInput = {
  phoneNumberId: "2001",
  accessToken: "token-b1",
  wabaId: "waba-2",
  businessId: "biz-2",
  displayPhoneNumber: "15550009999",
};

let sandbox: MetaSandbox;

beforeAll(async () => {
  sandbox = await startMetaSandbox();
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.reset();
  sandbox.addPhone(A1);
  sandbox.addPhone(A2);
  sandbox.addPhone(B1);
});

interface GraphCall {
  token?: string;
  body?: unknown;
  raw?: string;
  version?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes
type Json = any;

async function graph(method: string, path: string, call: GraphCall = {}) {
  const headers: Record<string, string> = {};
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  const body = call.raw ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${sandbox.url}/${call.version ?? V}/${path}`, { method, headers, body });
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    json: (await res.json()) as Json,
  };
}

const getUsername = (phone: SandboxPhoneInput) =>
  graph("GET", `${phone.phoneNumberId}/username`, { token: phone.accessToken });
const claim = (phone: SandboxPhoneInput, username: unknown, transfer?: string) =>
  graph("POST", `${phone.phoneNumberId}/username`, {
    token: phone.accessToken,
    body: transfer === undefined ? { username } : { username, transfer_action: transfer },
  });
const release = (phone: SandboxPhoneInput) =>
  graph("DELETE", `${phone.phoneNumberId}/username`, { token: phone.accessToken });

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

function expectGraphError(
  res: { status: number; contentType: string | null; json: Json },
  status: number,
  code: number,
  type = "OAuthException",
) {
  expect(res.status).toBe(status);
  expect(res.contentType).toBe("application/json");
  expect(res.json.error).toMatchObject({ code, type });
  expect(typeof res.json.error.message).toBe("string");
  expect(res.json.error.fbtrace_id).toMatch(/^[\w-]{10,}$/);
}

describe("GET/POST/DELETE username", () => {
  it("goes from {} to reserved to deleted, and DELETE without a name says false", async () => {
    expect(await getUsername(A1)).toMatchObject({ status: 200, json: {} });
    expect(await claim(A1, "lucky_shrub")).toMatchObject({ status: 200, json: { status: "reserved" } });
    expect((await getUsername(A1)).json).toEqual({ username: "lucky_shrub", status: "reserved" });
    expect((await release(A1)).json).toEqual({ success: true });
    expect((await getUsername(A1)).json).toEqual({ status: "deleted" });
    expect((await release(A1)).json).toEqual({ success: false });
    expect((await release(A2)).json).toEqual({ success: false });
  });

  it("answers approved for a phone configured approveImmediately", async () => {
    sandbox.updatePhone(A1.phoneNumberId, { approveImmediately: true });
    expect((await claim(A1, "lucky_shrub")).json).toEqual({ status: "approved" });
    expect((await getUsername(A1)).json).toEqual({ username: "lucky_shrub", status: "approved" });
  });

  it("stores the name as given but compares case-insensitively", async () => {
    await claim(A1, "Lucky_Shrub");
    expect((await getUsername(A1)).json.username).toBe("Lucky_Shrub");
    expectGraphError(await claim(B1, "LUCKY_SHRUB"), 400, 147001);
    // period and underscore are significant: these are different names
    expect((await claim(B1, "lucky.shrub")).status).toBe(200);
  });

  it("releases the old name when a phone claims another", async () => {
    await claim(A1, "first_name");
    await claim(A1, "second_name");
    expect((await claim(B1, "first_name")).json).toEqual({ status: "reserved" });
  });

  it("keeps the review state when a phone claims the name it already holds", async () => {
    await claim(A1, "lucky_shrub");
    await sandbox.approve(A1.phoneNumberId);
    expect((await claim(A1, "lucky_shrub")).json).toEqual({ status: "approved" });
  });

  it("suggests 2-3 free lower-case names derived from the display name", async () => {
    const res = await graph("GET", `${A1.phoneNumberId}/username_suggestions`, { token: A1.accessToken });
    expect(res.status).toBe(200);
    const names: string[] = res.json.data[0].username_suggestions;
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names.length).toBeLessThanOrEqual(3);
    for (const name of names) {
      expect(name).toBe(name.toLowerCase());
      expect(name).toContain("lucky_shrub");
    }
    // a held name and a taken name are no longer suggested
    await claim(B1, names[0]);
    sandbox.markTaken(names[1] as string);
    const again = await graph("GET", `${A1.phoneNumberId}/username_suggestions`, { token: A1.accessToken });
    const fresh: string[] = again.json.data[0].username_suggestions;
    expect(fresh).not.toContain(names[0]);
    expect(fresh).not.toContain(names[1]);
    expect(fresh.length).toBeGreaterThanOrEqual(2);
  });

  it("rejects a version that is not v<major>.<minor> and unknown paths with code 100", async () => {
    expectGraphError(
      await graph("GET", "1001/username", { token: A1.accessToken, version: "v24" }),
      400,
      100,
    );
    expectGraphError(
      await graph("GET", "1001/username", { token: A1.accessToken, version: "latest" }),
      400,
      100,
    );
    expectGraphError(await graph("GET", "1001/messages", { token: A1.accessToken }), 400, 100);
    expectGraphError(await graph("GET", "1001/username/extra", { token: A1.accessToken }), 400, 100);
    expectGraphError(
      await graph("PUT", "1001/username", { token: A1.accessToken, body: {} }),
      400,
      100,
      "GraphMethodException",
    );
    expect((await graph("GET", "1001/username", { token: A1.accessToken, version: "v99.7" })).status).toBe(
      200,
    );
  });

  it("gives every error a fresh fbtrace_id", async () => {
    const one = await getUsername({ ...A1, accessToken: "nope" });
    const two = await getUsername({ ...A1, accessToken: "nope" });
    expect(one.json.error.fbtrace_id).not.toBe(two.json.error.fbtrace_id);
  });
});

describe("checks in Meta's order", () => {
  it("1. missing or unknown token: 401 / 190", async () => {
    const noToken = await graph("GET", `${A1.phoneNumberId}/username`);
    expectGraphError(noToken, 401, 190);
    expect(noToken.json.error.message).toMatch(/Invalid OAuth access token/);
    expectGraphError(await getUsername({ ...A1, accessToken: "not-a-token" }), 401, 190);
    expectGraphError(
      await getUsername({ ...A1, phoneNumberId: "9999", accessToken: "not-a-token" }),
      401,
      190,
    );
    const basic = await fetch(`${sandbox.url}/${V}/${A1.phoneNumberId}/username`, {
      headers: { authorization: `Basic ${A1.accessToken}` },
    });
    expect(basic.status).toBe(401);
  });

  it("2. unknown phone, or another phone's token: 400 / 33", async () => {
    const unknown = await getUsername({ ...A1, phoneNumberId: "9999" });
    expectGraphError(unknown, 400, 33, "GraphMethodException");
    expect(unknown.json.error.message).toBe(
      "Unsupported get request. Object with ID '9999' does not exist, cannot be loaded due to missing permissions, or does not support this operation",
    );
    expectGraphError(
      await getUsername({ ...A1, accessToken: B1.accessToken }),
      400,
      33,
      "GraphMethodException",
    );
    const post = await claim({ ...A1, accessToken: A2.accessToken }, "some_name");
    expect(post.json.error.message).toMatch(/^Unsupported post request/);
  });

  it("3. no permission: 403 / 10, before 133010", async () => {
    sandbox.updatePhone(A1.phoneNumberId, { permitted: false, registered: false });
    expectGraphError(await getUsername(A1), 403, 10);
    expectGraphError(await claim(A1, "lucky_shrub"), 403, 10);
  });

  it("4. not registered: 400 / 133010 on every endpoint", async () => {
    sandbox.updatePhone(A1.phoneNumberId, { registered: false });
    expectGraphError(await getUsername(A1), 400, 133010);
    expectGraphError(await release(A1), 400, 133010);
    expectGraphError(
      await graph("GET", `${A1.phoneNumberId}/username_suggestions`, { token: A1.accessToken }),
      400,
      133010,
    );
  });

  it("5. a POST body that is not {username: string, transfer_action?}: 400 / 100", async () => {
    const post = (raw: string) =>
      graph("POST", `${A1.phoneNumberId}/username`, { token: A1.accessToken, raw });
    for (const raw of [
      "not json",
      "[]",
      "null",
      '"x"',
      "{}",
      '{"username":42}',
      "",
      '{"username":"ok_name","transfer_action":"steal"}',
    ]) {
      const res = await post(raw);
      expectGraphError(res, 400, 100);
      expect(res.json.error.message).toBe("(#100) Invalid parameter");
    }
    expect((await post('{"username":"ok_name","transfer_action":"none","extra":1}')).status).toBe(200);
  });

  it.each([
    ["ab", /between 3 and 35/],
    ["a".repeat(36), /between 3 and 35/],
    ["señor_shop", /English letters/],
    ["my shop", /English letters/],
    ["my-shop", /English letters/],
    ["12345", /at least one English letter/],
    ["_.__", /at least one English letter/],
    [".shop", /start or end with a period/],
    ["shop.", /start or end with a period/],
    ["my..shop", /two periods/],
    ["WWWshop", /www/],
    ["shop.com", /domain suffix/],
    ["shop.ORG", /domain suffix/],
    ["kapso.ai", /domain suffix/],
    ["kapso.io", /domain suffix/],
    ["page.html", /domain suffix/],
  ])("5. username %j breaks a format rule: 400 / 100 naming it", async (name, rule) => {
    const res = await claim(A1, name);
    expectGraphError(res, 400, 100);
    expect(res.json.error.error_data).toEqual({
      messaging_product: "whatsapp",
      details: expect.stringMatching(rule),
    });
  });

  it.each(["abc", "a".repeat(35), "my.id", "my_id", "myid", "shop.comx", "kapso_ai", "a1_", "w.w.w"])(
    "5. username %j is well formed",
    async (name) => {
      expect((await claim(A1, name)).status).toBe(200);
    },
  );

  it("6. eligibility, Facebook, Instagram: 147002 / 147003 / 147004, in that order, after the format", async () => {
    sandbox.updatePhone(A1.phoneNumberId, { eligible: false, facebookLinked: false, instagramLinked: false });
    expectGraphError(await claim(A1, "x"), 400, 100);
    const notEligible = await claim(A1, "lucky_shrub");
    expectGraphError(notEligible, 400, 147002);
    expect(notEligible.json.error.error_subcode).toBeUndefined();
    expect(notEligible.json.error.error_data.details).toEqual(expect.any(String));
    sandbox.updatePhone(A1.phoneNumberId, { eligible: true });
    expectGraphError(await claim(A1, "lucky_shrub"), 400, 147003);
    sandbox.updatePhone(A1.phoneNumberId, { facebookLinked: true });
    expectGraphError(await claim(A1, "lucky_shrub"), 400, 147004);
    sandbox.updatePhone(A1.phoneNumberId, { instagramLinked: true });
    expect((await claim(A1, "lucky_shrub")).status).toBe(200);
  });

  it("7. a name of another portfolio or marked taken: 147001, even with force_transfer", async () => {
    await claim(B1, "lucky_shrub");
    const res = await claim(A1, "lucky_shrub", "force_transfer");
    expectGraphError(res, 400, 147001);
    expect(res.json.error.message).toBe("Username is not available");
    sandbox.markTaken("Famous_Brand");
    expectGraphError(await claim(A1, "famous_brand", "force_transfer"), 400, 147001);
    expect((await getUsername(B1)).json.username).toBe("lucky_shrub");
  });

  it("8. a name of the same portfolio: 147005, moved with force_transfer", async () => {
    await claim(A1, "lucky_shrub");
    expectGraphError(await claim(A2, "Lucky_Shrub"), 400, 147005);
    expectGraphError(await claim(A2, "lucky_shrub", "none"), 400, 147005);
    expect((await claim(A2, "Lucky_Shrub", "force_transfer")).json).toEqual({ status: "reserved" });
    expect((await getUsername(A2)).json).toEqual({ username: "Lucky_Shrub", status: "reserved" });
    expect((await getUsername(A1)).json).toEqual({});
  });

  it("does not change state on an error", async () => {
    await claim(A1, "lucky_shrub");
    await claim(A1, "shop.com");
    await claim(A1, "famous", "steal");
    expect(sandbox.getPhone(A1.phoneNumberId)).toMatchObject({ username: "lucky_shrub", status: "reserved" });
  });
});

describe("control API over HTTP", () => {
  it("adds a phone with defaults (201), replaces it on re-post, reads and patches it", async () => {
    const created = await control("POST", "/phones", {
      phoneNumberId: "3001",
      accessToken: "t3",
      wabaId: "w3",
      businessId: "b3",
      displayPhoneNumber: "15550003001",
    });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      phoneNumberId: "3001",
      // Never a token over HTTP (control-views.ts): the sandbox itself has it.
      accessToken: "…",
      wabaId: "w3",
      businessId: "b3",
      displayPhoneNumber: "15550003001",
      displayName: expect.any(String),
      registered: true,
      eligible: true,
      facebookLinked: true,
      instagramLinked: true,
      permitted: true,
      approveImmediately: false,
    });
    const replaced = await control("POST", "/phones", {
      ...created.json,
      accessToken: "t3b",
      username: "seeded_name",
      status: "approved",
    });
    expect(replaced.json).toMatchObject({ accessToken: "…", username: "seeded_name", status: "approved" });
    expect(sandbox.getPhone("3001")?.accessToken).toBe("t3b");
    const patched = await control("PATCH", "/phones/3001", { eligible: false, username: null, status: null });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ eligible: false, accessToken: "…" });
    expect(sandbox.getPhone("3001")?.accessToken).toBe("t3b");
    expect(patched.json.username).toBeUndefined();
    expect(sandbox.getPhone("3001")?.eligible).toBe(false);
  });

  it("rejects bad phones and answers 404 for unknown ones", async () => {
    expect((await control("POST", "/phones", { phoneNumberId: "x" })).status).toBe(400);
    expect((await control("POST", "/phones", { ...A1, approveImmediatly: true })).status).toBe(400);
    expect((await control("POST", "/phones", { ...A1, eligible: "no" })).status).toBe(400);
    expect((await control("GET", "/phones/nope")).status).toBe(404);
    expect((await control("PATCH", "/phones/nope", { eligible: false })).status).toBe(404);
    expect((await control("GET", "/nothing-here")).status).toBe(404);
  });

  it("marks a name taken", async () => {
    expect((await control("POST", "/taken", { username: "Reserved_Elsewhere" })).status).toBe(201);
    expectGraphError(await claim(A1, "reserved_elsewhere"), 400, 147001);
  });

  it("resets everything", async () => {
    await claim(A1, "lucky_shrub");
    sandbox.injectFault({ mode: "hang" });
    sandbox.setDelay(5);
    expect((await control("POST", "/reset")).status).toBe(200);
    expect(sandbox.listPhones()).toEqual([]);
    expect(sandbox.requests()).toEqual([]);
    expect(sandbox.pendingFaults()).toEqual([]);
    expect((await control("GET", "/webhook")).json).toBeNull();
  });
});

describe("request recording", () => {
  it("records every Graph request, oldest first, with lower-cased headers and the raw body", async () => {
    await getUsername(A1);
    await control("GET", "/phones/1001"); // not recorded
    await graph("POST", `${A1.phoneNumberId}/username?x=1`, {
      token: A1.accessToken,
      raw: '{"username":"lucky_shrub", "extra":true}',
    });
    const listed = await control("GET", "/requests");
    expect(listed.json).toHaveLength(2);
    const [first, second] = listed.json;
    expect(first).toMatchObject({ method: "GET", path: "/v24.0/1001/username", body: "" });
    // The token masked (control-views.ts); the in-process record keeps it.
    expect(first.headers.authorization).toBe("Bearer …");
    expect(sandbox.requests()[0]?.headers.authorization).toBe("Bearer token-a1");
    expect(second).toMatchObject({
      method: "POST",
      path: "/v24.0/1001/username?x=1",
      body: '{"username":"lucky_shrub", "extra":true}',
    });
    expect(second.headers["content-type"]).toBe("application/json");
    expect(Object.keys(second.headers).every((k: string) => k === k.toLowerCase())).toBe(true);
    expect(second.at).toBeGreaterThanOrEqual(first.at);
    // The same records, tokens aside.
    expect(
      sandbox
        .requests()
        .map(({ headers: { authorization: _, ...headers }, ...request }) => ({ ...request, headers })),
    ).toEqual(
      listed.json.map(({ headers: { authorization: _, ...headers }, ...request }: Json) => ({
        ...request,
        headers,
      })),
    );
    expect((await control("DELETE", "/requests")).status).toBe(200);
    expect(sandbox.requests()).toEqual([]);
  });
});

describe("faults", () => {
  it("status: a 500 Graph error (code 1), for count requests, without changing state", async () => {
    sandbox.injectFault({ mode: "status", count: 2 });
    const first = await claim(A1, "lucky_shrub");
    expectGraphError(first, 500, 1);
    expectGraphError(await claim(A1, "lucky_shrub"), 500, 1);
    expect(sandbox.getPhone(A1.phoneNumberId)?.username).toBeUndefined();
    expect(sandbox.requests()).toHaveLength(2);
    expect((await claim(A1, "lucky_shrub")).status).toBe(200);
  });

  it("status: 503 is a transient code 2, 429 is code 4, a given body is sent as is", async () => {
    sandbox.injectFault({ mode: "status", status: 503 });
    const unavailable = await getUsername(A1);
    expectGraphError(unavailable, 503, 2);
    expect(unavailable.json.error.is_transient).toBe(true);
    sandbox.injectFault({ mode: "status", status: 429 });
    expectGraphError(await getUsername(A1), 429, 4);
    const body = { error: { message: "slow down", type: "OAuthException", code: 130429 } };
    sandbox.injectFault({ mode: "status", status: 400, body });
    expect(await getUsername(A1)).toMatchObject({ status: 400, json: body });
  });

  it("only hits requests whose path contains the fault's path", async () => {
    const injected = await control("POST", "/faults", { mode: "status", path: "username_suggestions" });
    expect(injected.status).toBe(201);
    expect((await getUsername(A1)).status).toBe(200);
    expect((await control("GET", "/faults")).json).toHaveLength(1);
    const res = await graph("GET", `${A1.phoneNumberId}/username_suggestions`, { token: A1.accessToken });
    expect(res.status).toBe(500);
    expect(sandbox.pendingFaults()).toEqual([]);
  });

  it("DELETE /__sandbox/faults clears them", async () => {
    await control("POST", "/faults", { mode: "status", count: 5 });
    await control("DELETE", "/faults");
    expect((await getUsername(A1)).status).toBe(200);
    expect((await control("POST", "/faults", { mode: "explode" })).status).toBe(400);
  });

  it("garbage: 200 with non-JSON text", async () => {
    sandbox.injectFault({ mode: "garbage" });
    const res = await fetch(`${sandbox.url}/${V}/${A1.phoneNumberId}/username`, {
      method: "POST",
      headers: { authorization: `Bearer ${A1.accessToken}` },
      body: JSON.stringify({ username: "lucky_shrub" }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<html>oops</html>");
    expect(sandbox.getPhone(A1.phoneNumberId)?.username).toBeUndefined();
  });

  it("slow: answers normally after delayMs", async () => {
    sandbox.injectFault({ mode: "slow", delayMs: 150 });
    const started = performance.now();
    expect((await claim(A1, "lucky_shrub")).json).toEqual({ status: "reserved" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(sandbox.getPhone(A1.phoneNumberId)?.username).toBe("lucky_shrub");
  });

  it("reset: the connection is destroyed without an answer", async () => {
    sandbox.injectFault({ mode: "reset" });
    await expect(claim(A1, "lucky_shrub")).rejects.toThrow();
    expect(sandbox.requests()).toHaveLength(1);
    expect(sandbox.getPhone(A1.phoneNumberId)?.username).toBeUndefined();
    expect((await getUsername(A1)).status).toBe(200);
  });

  it("hang: no answer until the client gives up", async () => {
    sandbox.injectFault({ mode: "hang" });
    const hung = fetch(`${sandbox.url}/${V}/${A1.phoneNumberId}/username`, {
      headers: { authorization: `Bearer ${A1.accessToken}` },
      signal: AbortSignal.timeout(200),
    });
    await expect(hung).rejects.toThrow(/timeout|abort/i);
    expect(sandbox.requests()).toHaveLength(1);
  });

  it("close() does not wait for hanging or slow requests", async () => {
    const own = await startMetaSandbox();
    own.addPhone(A1);
    own.injectFault({ mode: "hang" });
    own.injectFault({ mode: "slow", delayMs: 60_000 });
    const url = `${own.url}/${V}/${A1.phoneNumberId}/username`;
    const headers = { authorization: `Bearer ${A1.accessToken}` };
    const hung = fetch(url, { headers }).then(
      () => "answered",
      () => "failed",
    );
    const slow = fetch(url, { headers }).then(
      () => "answered",
      () => "failed",
    );
    while (own.requests().length < 2) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await own.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hung).toBe("failed");
    expect(await slow).toBe("failed");
  });

  it("a fixed delay slows every Graph answer", async () => {
    expect((await control("POST", "/delay", { ms: 120 })).json).toEqual({ ms: 120 });
    let started = performance.now();
    await getUsername(A1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    sandbox.setDelay(0);
    started = performance.now();
    await control("GET", "/phones"); // control calls are never delayed
    await getUsername(A1);
    expect(performance.now() - started).toBeLessThan(110);
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

/** A tiny webhook receiver: records what arrives and answers `answer`. */
async function startReceiver() {
  const received: Received[] = [];
  const receiver = { url: "", received, answer: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(receiver.answer, { "content-type": "text/plain" });
      res.end("ack");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return Object.assign(receiver, { close });
}

const hmac = (raw: Buffer | string, secret: string) =>
  `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;

describe("webhooks", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = 200;
    sandbox.configureWebhook({ callbackUrl: receiver.url, appSecret: SECRET });
  });

  it("approve: reserved becomes approved and Meta's exact signed payload arrives", async () => {
    await claim(A1, "lucky_shrub");
    const results = await sandbox.approve(A1.phoneNumberId, { time: 1_780_000_000 });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 200, body: "ack" });
    expect((await getUsername(A1)).json).toEqual({ username: "lucky_shrub", status: "approved" });

    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received as [Received];
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["x-hub-signature-256"]).toBe(hmac(got.raw, SECRET));
    expect(got.raw.toString("utf8")).toBe(
      JSON.stringify({
        object: "whatsapp_business_account",
        entry: [
          {
            id: "waba-1",
            time: 1_780_000_000,
            changes: [
              {
                field: "business_username_updates",
                value: { display_phone_number: "15550783881", username: "lucky_shrub", status: "approved" },
              },
            ],
          },
        ],
      }),
    );
    expect(sandbox.deliveries()).toHaveLength(1);
  });

  it("approve with duplicates delivers the same body n extra times", async () => {
    await claim(A1, "lucky_shrub");
    const results = await sandbox.approve(A1.phoneNumberId, { duplicates: 2 });
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const raws = receiver.received.map((r) => r.raw.toString());
    expect(new Set(raws).size).toBe(1);
    expect(raws).toHaveLength(3);
    const time = JSON.parse(raws[0] as string).entry[0].time;
    expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(5);
  });

  it("reports the callback's status, or 0 when it cannot be reached", async () => {
    await claim(A1, "lucky_shrub");
    receiver.answer = 500;
    expect((await sandbox.approve(A1.phoneNumberId))[0]?.status).toBe(500);
    sandbox.configureWebhook({ callbackUrl: "http://127.0.0.1:1/webhook", appSecret: SECRET });
    const [unreachable] = await sandbox.approve(A1.phoneNumberId);
    expect(unreachable?.status).toBe(0);
    expect(unreachable?.error).toEqual(expect.any(String));
  });

  it("revoke: the name goes, status deleted, webhook without username and with context revoked", async () => {
    await claim(A1, "lucky_shrub");
    await sandbox.revoke(A1.phoneNumberId, { time: 1_780_000_100 });
    expect((await getUsername(A1)).json).toEqual({ status: "deleted" });
    const payload = JSON.parse(receiver.received[0]?.raw.toString() ?? "");
    expect(payload.entry[0].changes[0].value).toEqual({
      display_phone_number: "15550783881",
      status: "deleted",
      context: "revoked",
    });
    expect((await claim(B1, "lucky_shrub")).status).toBe(200);
  });

  it("a Graph DELETE sends a deleted webhook without waiting for it", async () => {
    await claim(A2, "second_phone");
    expect((await release(A2)).json).toEqual({ success: true });
    await sandbox.flushWebhooks();
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0] as Received;
    expect(got.headers["x-hub-signature-256"]).toBe(hmac(got.raw, SECRET));
    expect(JSON.parse(got.raw.toString()).entry[0]).toMatchObject({
      id: "waba-1",
      changes: [
        {
          field: "business_username_updates",
          value: { display_phone_number: "15550783882", status: "deleted" },
        },
      ],
    });
    expect(JSON.parse(got.raw.toString()).entry[0].changes[0].value).not.toHaveProperty("username");
    expect((await control("GET", "/deliveries")).json).toHaveLength(1);
  });

  it("uses the older field spelling when configured so", async () => {
    await control("POST", "/webhook", {
      callbackUrl: receiver.url,
      appSecret: SECRET,
      field: "business_username_update",
    });
    expect((await control("GET", "/webhook")).json).toEqual({
      callbackUrl: receiver.url,
      field: "business_username_update",
    });
    await claim(A1, "lucky_shrub");
    await sandbox.approve(A1.phoneNumberId);
    expect(JSON.parse(receiver.received[0]?.raw.toString() ?? "").entry[0].changes[0].field).toBe(
      "business_username_update",
    );
  });

  it("HTTP approve/revoke routes work and refuse phones without a name", async () => {
    expect((await control("POST", "/phones/1001/approve")).status).toBe(409);
    expect((await control("POST", "/phones/nope/approve")).status).toBe(404);
    await claim(A1, "lucky_shrub");
    const approved = await control("POST", "/phones/1001/approve", { duplicates: 1, time: 1_780_000_000 });
    expect(approved.status).toBe(200);
    expect(approved.json.map((d: { status: number }) => d.status)).toEqual([200, 200]);
    const revoked = await control("POST", "/phones/1001/revoke", {});
    expect(revoked.json).toHaveLength(1);
    expect(sandbox.getPhone("1001")).toMatchObject({ status: "deleted" });
    expect(receiver.received).toHaveLength(3);
  });

  it("approve without a configured webhook changes state and delivers nothing", async () => {
    sandbox.configureWebhook(null);
    await claim(A1, "lucky_shrub");
    expect(await sandbox.approve(A1.phoneNumberId)).toEqual([]);
    expect(sandbox.getPhone(A1.phoneNumberId)?.status).toBe("approved");
  });

  const events = [
    { wabaId: "waba-1", time: 100, displayPhoneNumber: "15550783881", username: "a_one", status: "approved" },
    { wabaId: "waba-2", time: 100, displayPhoneNumber: "15550009999", username: "b_one", status: "reserved" },
    { wabaId: "waba-1", time: 100, displayPhoneNumber: "15550783882", status: "deleted", context: "revoked" },
  ];

  it("deliverRaw batch: one POST, entries grouped by WABA", async () => {
    const results = await sandbox.deliverRaw(events, { batch: true });
    expect(results).toHaveLength(1);
    const got = receiver.received[0] as Received;
    expect(got.headers["x-hub-signature-256"]).toBe(hmac(got.raw, SECRET));
    const payload = JSON.parse(got.raw.toString());
    expect(payload.entry.map((e: { id: string }) => e.id)).toEqual(["waba-1", "waba-2"]);
    expect(payload.entry[0].changes).toHaveLength(2);
    expect(payload).toEqual(buildWebhookPayload(events));
  });

  it("deliverRaw: one POST per event, in shuffled order when asked", async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      wabaId: "waba-1",
      time: 1000 + i,
      displayPhoneNumber: "15550783881",
      username: `name_${i}`,
      status: "approved",
    }));
    const results = await sandbox.deliverRaw(many, { shuffle: true });
    expect(results).toHaveLength(30);
    const names = receiver.received.map(
      (r) => JSON.parse(r.raw.toString()).entry[0].changes[0].value.username,
    );
    expect([...names].sort()).toEqual(many.map((e) => e.username).sort());
    expect(names).not.toEqual(many.map((e) => e.username)); // 1 in 30! to fail by chance
  });

  it("deliverRaw over HTTP, and with a wrong secret the signature does not verify", async () => {
    const res = await control("POST", "/webhook/deliver", { events, appSecret: "wrong" });
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(3);
    for (const got of receiver.received) {
      expect(got.headers["x-hub-signature-256"]).not.toBe(hmac(got.raw, SECRET));
      expect(got.headers["x-hub-signature-256"]).toBe(hmac(got.raw, "wrong"));
    }
  });

  it("signWebhookBody is HMAC-SHA256 of the raw bytes", () => {
    const raw = '{"object":"whatsapp_business_account","note":"café ✓"}';
    expect(signWebhookBody(raw, SECRET)).toBe(hmac(Buffer.from(raw, "utf8"), SECRET));
    expect(signWebhookBody(Buffer.from(raw), SECRET)).toBe(signWebhookBody(raw, SECRET));
    expect(signWebhookBody(raw, SECRET)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});

describe("main.ts", () => {
  it("starts on PORT, prints its URL and exits on SIGTERM", async () => {
    const child = spawn(process.execPath, ["meta-sandbox/main.ts"], {
      env: { ...process.env, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /meta sandbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.once("exit", () => reject(new Error(`exited before printing its URL: ${out}`)));
    });
    expect((await fetch(`${url}/__sandbox/phones`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
