/**
 * The sandbox's control API is for programs on this machine, never a web page: requests a
 * browser marks as cross-origin, a foreign Host (DNS rebinding) and bodies a page may send
 * without a preflight are refused, and change nothing. No answer of the control API contains
 * an access token, however it was stored or sent.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { maskToken } from "../../meta-sandbox/control-views.ts";
import { type MetaSandbox, type SandboxPhoneInput, startMetaSandbox } from "../../meta-sandbox/index.ts";

const LONG_TOKEN = `EAAG${"x7Q".repeat(60)}ZZtail`;
const PHONE: SandboxPhoneInput = {
  phoneNumberId: "4001",
  accessToken: LONG_TOKEN,
  wabaId: "w4",
  businessId: "b4",
  displayPhoneNumber: "15550004001",
};

let sandbox: MetaSandbox;

/** A raw request, so Host and the browser's headers are exactly what the test says. */
function send(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: sandbox.port, method, path, headers: { ...headers } },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.once("error", reject);
    req.end(body);
  });
}

beforeAll(async () => {
  sandbox = await startMetaSandbox();
});

beforeEach(() => {
  sandbox.reset();
  sandbox.addPhone({ ...PHONE, username: "lucky_shrub", status: "reserved" });
});

afterAll(async () => {
  await sandbox?.close();
});

const approve = `/__sandbox/phones/${PHONE.phoneNumberId}/approve`;

describe("cross-origin requests to the control API", () => {
  it.each([
    ["a page of another site", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
    ["another site, Origin only (no Fetch Metadata)", { origin: "https://evil.example" }],
    ["another page on this machine", { origin: "http://127.0.0.1:5173", "sec-fetch-site": "same-site" }],
    ["a sandboxed frame or a file", { origin: "null" }],
    ["Fetch Metadata only", { "sec-fetch-site": "cross-site" }],
    ["DNS rebinding: a foreign Host", { host: "evil.example" }],
  ])("refuses %s with 403 and changes nothing", async (_, headers) => {
    const answer = await send("POST", approve, headers);
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.text).error.message).toMatch(/refuses|loopback/);
    expect(sandbox.getPhone(PHONE.phoneNumberId)?.status).toBe("reserved");
    expect((await send("GET", "/__sandbox/phones", headers)).status).toBe(403);
  });

  it.each([
    ["text/plain", '{"duplicates":0}'],
    ["application/x-www-form-urlencoded", "duplicates=0"],
    ["multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--'],
  ])("refuses a %s body (no preflight needed from a page) with 415", async (type, body) => {
    const answer = await send("POST", approve, { "content-type": type }, body);
    expect(answer.status).toBe(415);
    expect(sandbox.getPhone(PHONE.phoneNumberId)?.status).toBe("reserved");
  });

  it.each([
    ["curl (no browser headers)", {}],
    ["the sandbox's own origin", { origin: "http://127.0.0.1:PORT", "sec-fetch-site": "same-origin" }],
    ["a navigation typed in the address bar", { "sec-fetch-site": "none", host: "localhost:PORT" }],
  ])("accepts %s", async (_, headers) => {
    const filled = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, value.replace("PORT", String(sandbox.port))]),
    );
    const answer = await send("POST", approve, filled);
    expect(answer.status).toBe(200);
    expect(sandbox.getPhone(PHONE.phoneNumberId)?.status).toBe("approved");
  });

  it("accepts a JSON body", async () => {
    const answer = await send("POST", approve, { "content-type": "application/json" }, '{"duplicates":0}');
    expect(answer.status).toBe(200);
  });
});

describe("access tokens in control answers", () => {
  it("masks the token of every phone answer: list, read, add, patch", async () => {
    const answers = [
      await send("GET", "/__sandbox/phones"),
      await send("GET", `/__sandbox/phones/${PHONE.phoneNumberId}`),
      await send(
        "POST",
        "/__sandbox/phones",
        { "content-type": "application/json" },
        JSON.stringify({ ...PHONE, phoneNumberId: "4002", accessToken: "short-token" }),
      ),
      await send(
        "PATCH",
        `/__sandbox/phones/${PHONE.phoneNumberId}`,
        { "content-type": "application/json" },
        '{"eligible":false}',
      ),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeLessThan(300);
      expect(answer.text).not.toContain(LONG_TOKEN);
      expect(answer.text).not.toContain("short-token");
    }
    const listed = JSON.parse(answers[0]?.text ?? "[]") as { accessToken: string }[];
    // Enough to tell tokens apart, nothing to use: the first and last 4 characters of a long one.
    expect(listed[0]?.accessToken).toBe(maskToken(LONG_TOKEN));
    expect(maskToken(LONG_TOKEN)).toBe("EAAG…tail");
    expect(JSON.parse(answers[2]?.text ?? "{}").accessToken).toBe("…");
    // The sandbox itself still knows them.
    expect(sandbox.getPhone("4002")?.accessToken).toBe("short-token");
  });

  it("masks tokens in recorded requests: Authorization, access_token in the query string and the body", async () => {
    const graph = `/v24.0/${PHONE.phoneNumberId}/username`;
    await send("GET", graph, { authorization: `Bearer ${LONG_TOKEN}` });
    await send("GET", `${graph}?access_token=${LONG_TOKEN}&fields=username`);
    await send(
      "POST",
      graph,
      { "content-type": "application/x-www-form-urlencoded" },
      `username=lucky_shrub&access_token=${LONG_TOKEN}`,
    );
    await send(
      "POST",
      graph,
      { "content-type": "application/json" },
      JSON.stringify({ username: "lucky_shrub", access_token: LONG_TOKEN }),
    );
    const listed = await send("GET", "/__sandbox/requests");
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.text)).toHaveLength(4);
    expect(listed.text).not.toContain(LONG_TOKEN);
    expect(listed.text).toContain("Bearer EAAG…tail");
    expect(listed.text).toContain("fields=username");
    expect(sandbox.requests()[0]?.headers.authorization).toBe(`Bearer ${LONG_TOKEN}`);
  });
});
