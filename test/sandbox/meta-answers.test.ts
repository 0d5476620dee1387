/**
 * The sandbox answers the way Meta does beyond its own rules' tidy envelopes: Graph's trace and
 * usage headers on every answer, the OAuth challenge on its 401, Meta's real error shapes sent
 * byte for byte (meta-errors.ts), and each answer recorded exactly as sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  META_ANSWER_EXAMPLE_NAMES,
  META_ANSWER_EXAMPLES,
  type MetaSandbox,
  startMetaSandbox,
} from "../../meta-sandbox/index.ts";

const PHONE = {
  phoneNumberId: "3001",
  accessToken: "token-3001",
  wabaId: "waba-3",
  businessId: "biz-3",
  displayPhoneNumber: "15550003001",
};

let sandbox: MetaSandbox;
beforeAll(async () => {
  sandbox = await startMetaSandbox();
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.reset();
  sandbox.addPhone(PHONE);
});

function getUsername(token = PHONE.accessToken) {
  return fetch(`${sandbox.url}/v24.0/${PHONE.phoneNumberId}/username`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers.entries());
}

describe("headers Graph sends", () => {
  it("every answer carries x-fb-trace-id, x-fb-request-id and x-fb-debug, fresh each time", async () => {
    const first = await getUsername();
    const second = await getUsername();
    for (const name of ["x-fb-trace-id", "x-fb-request-id", "x-fb-debug"]) {
      expect(first.headers.get(name), name).toMatch(/\S{8,}/);
      expect(first.headers.get(name), name).not.toBe(second.headers.get(name));
    }
  });

  it("an answer about a number carries the WABA's x-business-use-case-usage", async () => {
    const answer = await getUsername();
    const usage = JSON.parse(answer.headers.get("x-business-use-case-usage") ?? "{}");
    expect(usage[PHONE.wabaId]?.[0]).toMatchObject({
      type: "whatsapp_business_management",
      estimated_time_to_regain_access: 0,
    });
  });

  it("a bad token is 401 code 190 with Graph's OAuth challenge", async () => {
    const answer = await getUsername("not-a-token");
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toMatch(/^OAuth "Facebook Platform" "invalid_token" "/);
    expect(((await answer.json()) as { error: { code: number } }).error.code).toBe(190);
  });
});

describe("Meta's real answers, injected by name", () => {
  it.each(META_ANSWER_EXAMPLE_NAMES)("%s: its status, headers and exact bytes", async (name) => {
    const example = META_ANSWER_EXAMPLES[name];
    sandbox.injectFault({ mode: "status", example: name });

    const answer = await getUsername();

    expect(answer.status).toBe(example.status);
    expect(await answer.text()).toBe(example.body);
    for (const [header, value] of Object.entries(example.headers))
      expect(answer.headers.get(header)).toBe(value);
  });

  it("a fault's own status, raw bytes and headers override the example's", async () => {
    sandbox.injectFault({
      mode: "status",
      example: "transient-retry-after",
      status: 502,
      rawBody: "not json at all",
      headers: { "retry-after": "9", "x-extra": "1" },
    });
    const answer = await getUsername();
    expect(answer.status).toBe(502);
    expect(await answer.text()).toBe("not json at all");
    expect(answer.headers.get("retry-after")).toBe("9");
    expect(answer.headers.get("x-extra")).toBe("1");
  });

  it.each([
    [{ mode: "status", example: "no-such-example" }, /example must be one of/],
    [{ mode: "status", rawBody: 42 }, /rawBody must be a string/],
    [{ mode: "status", headers: { "X-Upper": "1" } }, /lower-case/],
    [{ mode: "status", headers: { "x-number": 1 } }, /strings/],
  ])("the control API refuses a bad fault %j", async (fault, message) => {
    const answer = await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(fault),
    });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(message);
    expect(sandbox.pendingFaults()).toEqual([]);
  });
});

describe("recorded answers", () => {
  it("each Graph request keeps what was answered, byte for byte, headers included", async () => {
    sandbox.injectFault({ mode: "status", example: "business-use-case-throttle" });
    const throttled = await getUsername();
    const throttledBody = await throttled.text();
    const fine = await getUsername();
    const fineBody = await fine.text();

    // Node adds its own hop headers (date, connection) after the sandbox's.
    const [first, second] = sandbox.requests();
    expect(first?.response).toMatchObject({ status: 429, body: throttledBody });
    expect(headersOf(throttled)).toMatchObject(first?.response?.headers ?? { missing: true });
    expect(first?.response?.headers["x-business-use-case-usage"]).toBeDefined();
    expect(second?.response).toMatchObject({ status: 200, body: fineBody });
    expect(headersOf(fine)).toMatchObject(second?.response?.headers ?? { missing: true });
  });

  it("a reset connection has no recorded answer", async () => {
    sandbox.injectFault({ mode: "reset" });
    await expect(getUsername()).rejects.toThrow();
    expect(sandbox.requests()[0]?.response).toBeUndefined();
  });
});
