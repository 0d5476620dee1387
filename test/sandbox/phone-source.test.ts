/**
 * The sandbox's phone source (meta-sandbox/phone-source.ts) over real HTTP: asked only about
 * numbers the sandbox does not know or whose token it does not hold; what it returns becomes the
 * sandbox's number (a known number keeps its username state); what it does not know stays unknown.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MetaSandbox, type SandboxPhoneInput, startMetaSandbox } from "../../meta-sandbox/index.ts";

const registry = new Map<string, SandboxPhoneInput>();
const asked: string[] = [];
let failing = false;
let sandbox: MetaSandbox;

beforeAll(async () => {
  sandbox = await startMetaSandbox({
    phoneSource: async (id) => {
      asked.push(id);
      if (failing) throw new Error("store unreachable");
      return registry.get(id);
    },
  });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.reset();
  registry.clear();
  asked.length = 0;
  failing = false;
});

function phone(id: string, token: string, extra: Partial<SandboxPhoneInput> = {}): SandboxPhoneInput {
  return {
    phoneNumberId: id,
    accessToken: token,
    wabaId: "w1",
    businessId: "b1",
    displayPhoneNumber: "1555",
    ...extra,
  };
}

async function graph(method: string, id: string, token: string, body?: unknown) {
  const answer = await fetch(`${sandbox.url}/v24.0/${id}/username`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: answer.status, json: (await answer.json()) as Record<string, unknown> };
}

describe("a sandbox with a phone source", () => {
  it("learns an unknown number at its first request, then answers from memory", async () => {
    registry.set("111", phone("111", "tok-a"));
    expect(await graph("GET", "111", "tok-a")).toEqual({ status: 200, json: {} });
    expect(await graph("POST", "111", "tok-a", { username: "first_name" })).toEqual({
      status: 200,
      json: { status: "reserved" },
    });
    expect(asked).toEqual(["111"]);
    expect(sandbox.getPhone("111")).toMatchObject({ accessToken: "tok-a", username: "first_name" });
  });

  it("follows a new token, keeping the number's username state", async () => {
    sandbox.addPhone(phone("222", "old", { username: "kept_name", status: "approved" }));
    registry.set("222", phone("222", "new", { wabaId: "w2", username: "stale_in_store" }));
    expect(await graph("GET", "222", "new")).toEqual({
      status: 200,
      json: { username: "kept_name", status: "approved" },
    });
    expect(sandbox.getPhone("222")).toMatchObject({ accessToken: "new", wabaId: "w2" });
    // The old token is Meta's problem now: unknown anywhere, 401 code 190.
    expect((await graph("GET", "222", "old")).status).toBe(401);
  });

  it("leaves numbers the source does not know unknown (401 code 190, as Meta answers)", async () => {
    const answer = await graph("GET", "333", "whatever");
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: { code: 190 } });
    expect(asked).toEqual(["333"]);
    expect(sandbox.getPhone("333")).toBeUndefined();
  });

  it("adds a number whose stored name another sandbox number holds, without that name", async () => {
    sandbox.addPhone(phone("444", "tok-x", { username: "shared_name" }));
    registry.set("555", phone("555", "tok-y", { username: "shared_name", status: "approved" }));
    expect(await graph("GET", "555", "tok-y")).toEqual({ status: 200, json: {} });
    expect(sandbox.getPhone("444")?.username).toBe("shared_name");
  });

  it("answers 500 when the source fails, and is not asked about control or unknown paths", async () => {
    failing = true;
    const answer = await fetch(`${sandbox.url}/v24.0/666/username`, {
      headers: { Authorization: "Bearer t" },
    });
    expect(answer.status).toBe(500);
    expect(await answer.text()).toContain("store unreachable");
    asked.length = 0;
    failing = false;
    await fetch(`${sandbox.url}/__sandbox/phones`);
    await fetch(`${sandbox.url}/nothing`, { headers: { Authorization: "Bearer t" } });
    expect(asked).toEqual([]);
  });
});
