/**
 * Graph behaviours that clients from other ecosystems rely on, over real HTTP through the local
 * gateway (the handlers the Lambdas run, DynamoDB Local, the Meta sandbox):
 *  - a read sent as `POST …?method=GET` (Go Graph clients send every call as a POST with a form
 *    body naming the method and the token) answers the GET; `method=delete` answers the DELETE;
 *  - `paging.next`/`previous` carry the `access_token` the request authenticated with, so a
 *    client following them as they are stays authenticated, and are built from the configured
 *    base URL, never from the request's Host header;
 *  - HEAD answers every GET route (and /health, /openapi.json) with the GET's status and headers
 *    and no body, as an uptime monitor probing with HEAD expects.
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routes } from "../../infra/routes.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { type SeededPhone, type SeededTenant, seedPhone, seedTenant, useWorld } from "../support/world.ts";

const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);

let tenant: SeededTenant;
let phone: SeededPhone;
let second: SeededPhone;

beforeAll(async () => {
  tenant = await seedTenant();
  phone = await seedPhone(world, tenant);
  second = await seedPhone(world, tenant);
  world.sandbox.updatePhone(phone.phoneNumberId, { username: "go_reads_this", status: "approved" });
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with node:http, so Host and HEAD are sent exactly as given. */
function raw(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const url = new URL(pipeline.gateway.url);
  return new Promise<RawAnswer>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("POST with Graph's method override", () => {
  it("reads as a Go Graph client does (form body `method=GET` and `access_token`): the GET's answer, Meta asked a GET", async () => {
    world.sandbox.clearRequests();
    const answer = await raw(
      "POST",
      `/meta/whatsapp/v24.0/${phone.phoneNumberId}/username`,
      { "content-type": "application/x-www-form-urlencoded" },
      `method=GET&access_token=${tenant.apiKey}`,
    );
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ username: "go_reads_this", status: "approved" });
    const asked = world.sandbox.requests();
    expect(asked.map((r) => [r.method, r.path])).toEqual([["GET", `/v24.0/${phone.phoneNumberId}/username`]]);
    expect(asked[0]?.body).toBe("");
    // The same as a GET: the read is recorded as the number's state.
    const get = await raw("GET", `/meta/whatsapp/v24.0/${phone.phoneNumberId}/username`, {
      "x-api-key": tenant.apiKey,
    });
    expect(get.body).toBe(answer.body);
  });

  it("reads with `?method=get` in the query string, ignoring an Idempotency-Key as GET does", async () => {
    const answer = await raw("POST", `/meta/whatsapp/v24.0/${phone.phoneNumberId}/username?method=get`, {
      "x-api-key": tenant.apiKey,
      "idempotency-key": " not a valid key ",
    });
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: "approved" });
  });

  it('deletes with `{"method":"delete"}` in a JSON body and answers Meta\'s `{"success":…}`', async () => {
    const answer = await raw(
      "POST",
      `/meta/whatsapp/v24.0/${second.phoneNumberId}/username`,
      { "x-api-key": tenant.apiKey, "content-type": "application/json" },
      JSON.stringify({ method: "delete" }),
    );
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ success: expect.any(Boolean) });
  });
});

describe("paging links", () => {
  it("carry the access_token the request used, so following `next` as is stays authenticated", async () => {
    const first = await raw("GET", `/v1/phone_numbers?limit=1&access_token=${tenant.apiKey}`);
    expect(first.status, first.body).toBe(200);
    const next = JSON.parse(first.body).paging.next as string;
    expect(new URL(next).searchParams.get("access_token")).toBe(tenant.apiKey);
    const followed = await fetch(next);
    expect(followed.status).toBe(200);
    const page = (await followed.json()) as { data: { id: string }[]; paging: { previous?: string } };
    expect(page.data.map((n) => n.id)).toEqual([[phone, second].map((p) => p.phoneNumberId).sort()[1]]);
    const back = await fetch(page.paging.previous as string);
    expect(back.status).toBe(200);
  });

  it("never copy a key sent in a header into a URL", async () => {
    const sent: Record<string, string>[] = [
      { "x-api-key": tenant.apiKey },
      { authorization: `Bearer ${tenant.apiKey}` },
    ];
    for (const headers of sent) {
      const first = await raw("GET", "/v1/phone_numbers?limit=1", headers);
      const next = JSON.parse(first.body).paging.next as string;
      expect(next).not.toContain(tenant.apiKey);
      expect(new URL(next).searchParams.has("access_token")).toBe(false);
    }
  });

  it("are built from the configured base URL, never from the request's Host header", async () => {
    const answer = await raw("GET", "/v1/phone_numbers?limit=1", {
      "x-api-key": tenant.apiKey,
      host: "attacker.example",
      "x-forwarded-proto": "http",
      "x-forwarded-host": "attacker.example",
    });
    const next = JSON.parse(answer.body).paging.next as string;
    expect(next.startsWith(`${process.env.API_BASE_URL}/v1/phone_numbers?`)).toBe(true);
    expect(next).not.toContain("attacker");
  });
});

/** Headers a HEAD shares with its GET: all but the per-request and per-call ones. */
function comparable(headers: RawAnswer["headers"]): Record<string, unknown> {
  const volatile = new Set(["apigw-requestid", "date", "x-fb-trace-id", "x-fb-request-id", "x-fb-debug"]);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !volatile.has(name)));
}

describe("HEAD", () => {
  const gets = routes.filter((route) => route.method === "GET");

  function concretePath(path: string, query = ""): string {
    return path.replace("{version}", "v24.0").replace("{phone_number_id}", phone.phoneNumberId) + query;
  }

  it.each(gets.map((route) => [route.path, route] as const))(
    "answers %s with the GET's status and headers and no body",
    async (_path, route) => {
      const query =
        route.audience === "meta" ? "?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1" : "";
      const headers: Record<string, string> = route.audience === "api" ? { "x-api-key": tenant.apiKey } : {};
      const get = await raw("GET", concretePath(route.path, query), headers);
      const head = await raw("HEAD", concretePath(route.path, query), headers);
      expect(head.status).toBe(get.status);
      expect(head.body).toBe("");
      // /health's body carries the store's latency: its length may differ by a digit or two.
      const variable = route.path === "/health";
      const { "content-length": headLength, ...headHeaders } = comparable(head.headers);
      const { "content-length": _, ...getHeaders } = comparable(get.headers);
      expect(headHeaders).toEqual(getHeaders);
      if (variable) expect(Math.abs(Number(headLength) - Buffer.byteLength(get.body))).toBeLessThan(5);
      else expect(headLength).toBe(String(Buffer.byteLength(get.body)));
    },
  );

  it("answers an error the same way: no key is the GET's 401 with its challenge", async () => {
    const path = concretePath("/v1/phone_numbers/{phone_number_id}");
    const get = await raw("GET", path);
    const head = await raw("HEAD", path);
    expect([get.status, head.status]).toEqual([401, 401]);
    expect(head.headers["www-authenticate"]).toBe(get.headers["www-authenticate"]);
    expect(head.body).toBe("");
  });

  it("answers GET /openapi.json's headers, and a path no route has with the GET's 404", async () => {
    for (const path of ["/openapi.json", "/no/such/route"]) {
      const get = await raw("GET", path);
      const head = await raw("HEAD", path);
      expect(head.status, path).toBe(get.status);
      // The 404's message names the method it was asked with, so its length may differ.
      const { "content-length": _h, ...headHeaders } = comparable(head.headers);
      const { "content-length": _g, ...getHeaders } = comparable(get.headers);
      expect(headHeaders, path).toEqual(getHeaders);
      expect(head.body).toBe("");
    }
  });
});

afterAll(() => {
  // Nothing any request sent as its key may reach Meta.
  expect(JSON.stringify(world.sandbox.requests())).not.toContain(tenant.apiKey);
});
