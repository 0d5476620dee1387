/**
 * The local gateway over real HTTP: route matching and 404s from infra/routes.ts, the payload
 * 2.0 event it builds (checked through an echo route), the answer it makes of a handler's
 * result, and the real handlers behind it against DynamoDB Local and the Meta sandbox.
 */
import { request as httpRequest } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type GatewayRoute,
  importHandler,
  type LambdaHandler,
  type LocalGateway,
  startLocalGateway,
} from "../../dev/local-gateway.ts";
import { FUNCTION_SIZING, timeoutMs } from "../../infra/function-sizing.ts";
import { fallbackRoute, routes } from "../../infra/routes.ts";
import { configureWebhookSecrets } from "../support/webhook-client.ts";
import { seedPhone, seedTenant, storedState, useWorld } from "../support/world.ts";

const world = useWorld();

interface Echo {
  event: APIGatewayProxyEventV2;
  remainingMs: number;
  functionName: string;
}

const echo: LambdaHandler = (event, context: Context) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    event,
    remainingMs: context.getRemainingTimeInMillis(),
    functionName: context.functionName,
  } satisfies Echo),
});

const TEST_HANDLERS: Record<string, LambdaHandler> = {
  echo,
  // Every response feature of payload 2.0 at once.
  binary: () => ({
    statusCode: 201,
    headers: { "Content-Type": "application/octet-stream", "X-Custom": 42 },
    cookies: ["a=1; Path=/", "b=2; HttpOnly"],
    body: Buffer.from([0, 1, 2, 0xff, 0xfe]).toString("base64"),
    isBase64Encoded: true,
  }),
  // No statusCode: API Gateway answers 200 with the value as JSON.
  plain: () => ({ hello: "world" }),
  throws: () => {
    throw new Error("boom with a secret-looking wau_notreallyakey");
  },
};

const TEST_ROUTES: GatewayRoute[] = [
  { method: "POST", path: "/echo/{first}/{second}", handler: "echo", functionName: "Echo" },
  { method: "GET", path: "/echo/{first}/{second}", handler: "echo", functionName: "Echo" },
  { method: "GET", path: "/echo/fixed/literal", handler: "plain", functionName: "Plain" },
  { method: "GET", path: "/binary", handler: "binary", functionName: "Binary" },
  { method: "GET", path: "/no-params", handler: "echo", functionName: "Echo" },
  // Sized like the username functions in infra/function-sizing.ts.
  { method: "GET", path: "/sized", handler: "echo", functionName: "Echo", audience: "api" },
  { method: "GET", path: "/throws", handler: "throws", functionName: "Throws" },
];

let gateway: LocalGateway;
const loadedHandlers: string[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  configureWebhookSecrets();
  gateway = await startLocalGateway({
    routes: [...routes, ...TEST_ROUTES],
    // As with the default routes: unmatched requests go to the $default Lambda.
    fallback: { method: "ANY", path: fallbackRoute.routeKey, ...fallbackRoute },
    loadHandler: async (route) => {
      loadedHandlers.push(route.handler);
      return TEST_HANDLERS[route.handler] ?? importHandler(route);
    },
    log: (line) => logLines.push(line),
  });
});

afterAll(async () => {
  await gateway?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** node:http, not fetch: exact request target, duplicate headers, raw bytes. */
function send(
  method: string,
  target: string,
  headers: string[] = [],
  body?: Buffer | string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(gateway.url);
    const req = httpRequest(
      // Array headers go out as given: Host included, nothing added.
      {
        host: url.hostname,
        port: url.port,
        method,
        path: target,
        headers: ["Host", url.host, ...headers],
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function echoOf(
  method: string,
  target: string,
  headers: string[] = [],
  body?: Buffer | string,
): Promise<Echo> {
  const answer = await send(method, target, headers, body);
  expect(answer.status).toBe(200);
  return JSON.parse(answer.body.toString("utf8")) as Echo;
}

/** The exact bytes the handler received, whatever the encoding. */
function bytesOf(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}

describe("route matching", () => {
  it.each([
    ["GET", "/nope"],
    ["GET", "/meta/whatsapp/v24.0/123/username/extra"],
    ["GET", "/meta/whatsapp/v24.0/username"],
    ["GET", "/meta/whatsapp/v24.0//username"],
    // A decoded %2F is a slash: a parameter never spans two segments.
    ["GET", "/echo/a%2Fb/c"],
    // The path exists, not for this method: an HTTP API answers 404 as well.
    ["PUT", "/meta/whatsapp/v24.0/123/username"],
    ["PATCH", "/meta/whatsapp/webhook"],
    // HEAD answers where GET does (test/compat/graph-behaviours.test.ts); here no GET route.
    ["HEAD", "/meta/whatsapp/v24.0/123/username/extra"],
  ])("%s %s: 404 in a Graph-style envelope from the $default Lambda", async (method, target) => {
    const answer = await send(method, target);
    expect(answer.status).toBe(404);
    expect(loadedHandlers).toContain(fallbackRoute.handler);
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    if (method === "HEAD") return;
    const body = JSON.parse(answer.body.toString("utf8"));
    expect(body).toEqual({
      error: {
        message: expect.stringContaining(`Unknown path components: ${method}`),
        type: "OAuthException",
        code: 100,
        fbtrace_id: answer.headers["apigw-requestid"],
      },
    });
    expect(answer.headers["content-type"]).toMatch(/^application\/json/);
  });

  it("prefers a literal segment over a parameter, and gives the route key of the route matched", async () => {
    const literal = await send("GET", "/echo/fixed/literal");
    expect(JSON.parse(literal.body.toString())).toEqual({ hello: "world" });
    const param = await echoOf("GET", "/echo/fixed/other");
    expect(param.event.routeKey).toBe("GET /echo/{first}/{second}");
    expect(param.event.requestContext.routeKey).toBe("GET /echo/{first}/{second}");
    expect(param.functionName).toBe("Echo");
  });

  it("routes a path with one trailing slash as API Gateway does, and keeps the raw path", async () => {
    const { event } = await echoOf("GET", "/echo/a/b/");
    expect(event.pathParameters).toEqual({ first: "a", second: "b" });
    expect(event.rawPath).toBe("/echo/a/b/");
    // Two are an empty segment: no route.
    expect((await send("GET", "/echo/a/b//")).status).toBe(404);
  });

  it("routes a path with extra leading slashes as if it had one", async () => {
    const { event } = await echoOf("GET", "//echo/a/b");
    expect(event.pathParameters).toEqual({ first: "a", second: "b" });
  });
});

describe("the payload 2.0 event", () => {
  it("has API Gateway's shape and a fresh request id per request", async () => {
    const before = Date.now();
    const first = await send("GET", "/echo/a/b", ["User-Agent", "gateway-test/1.0"]);
    const second = await send("GET", "/echo/a/b");
    const one = JSON.parse(first.body.toString()) as Echo;
    const two = JSON.parse(second.body.toString()) as Echo;
    expect(one.event).toMatchObject({
      version: "2.0",
      routeKey: "GET /echo/{first}/{second}",
      rawPath: "/echo/a/b",
      rawQueryString: "",
      isBase64Encoded: false,
      requestContext: {
        accountId: expect.stringMatching(/^\d{12}$/),
        apiId: expect.any(String),
        domainName: new URL(gateway.url).host,
        http: {
          method: "GET",
          path: "/echo/a/b",
          protocol: "HTTP/1.1",
          sourceIp: "127.0.0.1",
          userAgent: "gateway-test/1.0",
        },
        stage: "$default",
        time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
      },
    });
    expect(one.event.requestContext.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(one.event.requestContext.timeEpoch).toBeLessThanOrEqual(Date.now());
    // Optional fields are left out, never null.
    expect(one.event).not.toHaveProperty("body");
    expect(one.event).not.toHaveProperty("queryStringParameters");
    expect(one.event).not.toHaveProperty("cookies");

    expect(one.event.requestContext.requestId).toMatch(/^[A-Za-z0-9+/]{14}==$/);
    expect(one.event.requestContext.requestId).not.toBe(two.event.requestContext.requestId);
    expect(first.headers["apigw-requestid"]).toBe(one.event.requestContext.requestId);
  });

  it("lower-cases header names, joins duplicates with commas and moves cookies to `cookies`", async () => {
    const { event } = await echoOf("GET", "/echo/a/b", [
      "X-Api-Key",
      "wau_example",
      "X-Dup",
      "one",
      "x-dup",
      "two",
      "Cookie",
      "a=1; b=2",
      "Cookie",
      "c=3",
    ]);
    expect(event.headers["x-api-key"]).toBe("wau_example");
    expect(event.headers["x-dup"]).toBe("one,two");
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers).not.toHaveProperty("cookie");
    expect(event.cookies).toEqual(["a=1", "b=2", "c=3"]);
    expect(event.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(event.headers["x-forwarded-proto"]).toBe("http");
  });

  it("keeps the raw query string exactly and decodes parameters, duplicates comma-joined", async () => {
    const raw = "a=1&a=2&b=x%20y&c=1%2B1&d&e=one+two&caf%C3%A9=%E2%9C%93";
    const { event } = await echoOf("GET", `/echo/a/b?${raw}`);
    expect(event.rawQueryString).toBe(raw);
    expect(event.queryStringParameters).toEqual({
      a: "1,2",
      b: "x y",
      c: "1+1",
      d: "",
      e: "one two",
      café: "✓",
    });
  });

  it("decodes path parameters and the raw path", async () => {
    const { event } = await echoOf("GET", "/echo/hello%20world/caf%C3%A9%2520");
    expect(event.pathParameters).toEqual({ first: "hello world", second: "café%20" });
    // API Gateway decodes rawPath too, except %25.
    expect(event.rawPath).toBe("/echo/hello world/café%2520");
  });

  it("leaves pathParameters out for a route without parameters", async () => {
    const { event } = await echoOf("GET", "/no-params");
    expect(event).not.toHaveProperty("pathParameters");
  });

  it("counts the Lambda's remaining time down from the function's timeout (infra's, or 30 s)", async () => {
    const { remainingMs } = await echoOf("GET", "/echo/a/b");
    expect(remainingMs).toBeGreaterThan(25_000);
    expect(remainingMs).toBeLessThanOrEqual(30_000);
    const sized = await echoOf("GET", "/sized");
    const deployed = timeoutMs(FUNCTION_SIZING.api);
    expect(sized.remainingMs).toBeGreaterThan(deployed - 5_000);
    expect(sized.remainingMs).toBeLessThanOrEqual(deployed);
  });
});

describe("the request body", () => {
  const utf8Json = Buffer.from(JSON.stringify({ username: "café_🌵", n: 1 }), "utf8");
  const notUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0xc3, 0x28, 0x7d]);

  it.each([
    ["application/json, UTF-8", "application/json", utf8Json, false],
    ["application/json; charset=utf-8", "application/json; charset=utf-8", utf8Json, false],
    ["text/plain", "text/plain", Buffer.from("héllo\r\nworld\u0000!", "utf8"), false],
    ["application/xml", "application/xml", Buffer.from("<a>é</a>"), false],
    ["application/json, bytes that are not UTF-8", "application/json", notUtf8, true],
    ["application/octet-stream", "application/octet-stream", Buffer.from([0, 1, 2, 0xff]), true],
    ["application/octet-stream, even valid UTF-8", "application/octet-stream", utf8Json, true],
    ["a form (binary to API Gateway)", "application/x-www-form-urlencoded", Buffer.from("a=1&b=2"), true],
    ["no content type", undefined, utf8Json, true],
    [
      "a UTF-8 byte order mark",
      "application/json",
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8Json]),
      false,
    ],
  ])("%s: the exact bytes arrive", async (_, contentType, bytes, base64) => {
    const headers = contentType ? ["Content-Type", contentType] : [];
    const { event } = await echoOf("POST", "/echo/a/b", headers, bytes);
    expect(event.isBase64Encoded).toBe(base64);
    expect(bytesOf(event).equals(bytes)).toBe(true);
  });

  it("leaves body out when there is none", async () => {
    const { event } = await echoOf("POST", "/echo/a/b", ["Content-Type", "application/json"]);
    expect(event).not.toHaveProperty("body");
    expect(event.isBase64Encoded).toBe(false);
  });

  it("takes a 1 MB binary body whole", async () => {
    const bytes = Buffer.alloc(1024 * 1024, 0xab);
    const { event } = await echoOf("POST", "/echo/a/b", ["Content-Type", "image/png"], bytes);
    expect(bytesOf(event).equals(bytes)).toBe(true);
  });

  it.each([
    ["declared up front", "Content-Length", String(10 * 1024 * 1024 + 1)],
    ["streamed", "Transfer-Encoding", "chunked"],
  ])("refuses a body over API Gateway's 10 MB (%s) with a Graph-style 413", async (_, name, value) => {
    const answer = await send("POST", "/echo/a/b", [name, value], Buffer.alloc(10 * 1024 * 1024 + 1));
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body.toString()).error).toMatchObject({ code: 100, type: "OAuthException" });
  });
});

describe("the answer", () => {
  it("maps headers, cookies and a base64 body", async () => {
    const answer = await send("GET", "/binary");
    expect(answer.status).toBe(201);
    expect(answer.headers["content-type"]).toBe("application/octet-stream");
    expect(answer.headers["x-custom"]).toBe("42");
    expect(answer.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; HttpOnly"]);
    expect(answer.body.equals(Buffer.from([0, 1, 2, 0xff, 0xfe]))).toBe(true);
  });

  it("answers a handler that throws with a Graph-style 500 and logs no secrets", async () => {
    logLines.length = 0;
    const answer = await send("GET", "/throws?hub.verify_token=s3cret", ["X-API-Key", "wau_headervalue"]);
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body.toString()).error).toMatchObject({
      code: 1,
      fbtrace_id: answer.headers["apigw-requestid"],
    });
    const log = logLines.join("\n");
    expect(log).toContain("GET /throws 500");
    expect(log).not.toContain("s3cret");
    expect(log).not.toContain("wau_headervalue");
  });

  it("logs one line per request: method, path, status and duration", async () => {
    logLines.length = 0;
    await send("POST", "/echo/a/b?secret=x", ["Content-Type", "application/json"], '{"token":"EAAGsecret"}');
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatch(/^POST \/echo\/a\/b 200 \d+ ms requestId=[A-Za-z0-9+/]{14}==$/);
  });
});

describe("GET /openapi.json", () => {
  it("serves the document that openapi/document.ts builds, or 404 without one", async () => {
    const withDoc = await startLocalGateway({
      routes: [],
      log: false,
      openApiDocument: async () => ({ openapi: "3.1.0", info: { title: "t" } }),
    });
    const without = await startLocalGateway({
      routes: [],
      log: false,
      openApiDocument: async () => undefined,
    });
    try {
      const served = await fetch(`${withDoc.url}/openapi.json`);
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual({ openapi: "3.1.0", info: { title: "t" } });
      expect((await fetch(`${without.url}/openapi.json`)).status).toBe(404);
      expect((await fetch(`${withDoc.url}/openapi.json`, { method: "POST" })).status).toBe(404);
    } finally {
      await withDoc.close();
      await without.close();
    }
  });
});

describe("handler modules", () => {
  it("answers a Graph-style 504 when the function runs past its timeout", async () => {
    const slow = await startLocalGateway({
      routes: [{ method: "GET", path: "/slow", handler: "slow", functionName: "Slow" }],
      log: false,
      functionTimeoutMs: 200,
      loadHandler: async () => () => new Promise(() => undefined),
    });
    try {
      const answer = await fetch(`${slow.url}/slow`);
      expect(answer.status).toBe(504);
      expect(((await answer.json()) as { error: { code: number } }).error.code).toBe(2);
    } finally {
      await slow.close();
    }
  });

  it("retries an import that failed, as a file being edited may", async () => {
    let attempts = 0;
    const flaky = await startLocalGateway({
      routes: [{ method: "GET", path: "/x", handler: "x", functionName: "X" }],
      log: false,
      loadHandler: async () => {
        attempts += 1;
        if (attempts === 1) throw new SyntaxError("half-written file");
        return () => ({ statusCode: 204 });
      },
    });
    try {
      expect((await fetch(`${flaky.url}/x`)).status).toBe(500);
      expect((await fetch(`${flaky.url}/x`)).status).toBe(204);
      expect((await fetch(`${flaky.url}/x`)).status).toBe(204);
      expect(attempts).toBe(2);
    } finally {
      await flaky.close();
    }
  });
});

describe("the service behind the gateway", () => {
  it("runs the four username routes with real HTTP, as a client of Meta's API would", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    const base = `${gateway.url}/meta/whatsapp/v24.0/${phone.phoneNumberId}`;
    const headers = { "X-API-Key": tenant.apiKey };

    const empty = await fetch(`${base}/username`, { headers });
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual({});

    const suggestions = await fetch(`${base}/username_suggestions`, { headers });
    const listed = (await suggestions.json()) as { data: { username_suggestions: string[] }[] };
    expect(listed.data[0]?.username_suggestions.length).toBeGreaterThan(0);

    // curl -d sends a form content type: API Gateway hands it over base64, the handler copes.
    const claimed = await fetch(`${base}/username`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
      body: JSON.stringify({ username: "lucky_shrub" }),
    });
    expect(claimed.status).toBe(200);
    expect(await claimed.json()).toEqual({ status: "reserved" });

    const bearer = await fetch(`${base}/username`, { headers: { Authorization: `Bearer ${tenant.apiKey}` } });
    expect(await bearer.json()).toEqual({ username: "lucky_shrub", status: "reserved" });

    const deleted = await fetch(`${base}/username`, { method: "DELETE", headers });
    expect(await deleted.json()).toEqual({ success: true });

    const noKey = await fetch(`${base}/username`);
    expect(noKey.status).toBe(401);
  });

  it("passes the sandbox's signed webhook through byte for byte", async () => {
    const tenant = await seedTenant();
    const phone = await seedPhone(world, tenant);
    world.sandbox.configureWebhook({
      callbackUrl: `${gateway.url}/meta/whatsapp/webhook`,
      appSecret: process.env.META_APP_SECRET ?? "",
    });
    try {
      const claimed = await fetch(`${gateway.url}/meta/whatsapp/v24.0/${phone.phoneNumberId}/username`, {
        method: "POST",
        headers: { "X-API-Key": tenant.apiKey, "Content-Type": "application/json" },
        body: JSON.stringify({ username: "lucky_shrub" }),
      });
      expect(claimed.status).toBe(200);
      // The signature covers the exact bytes: a 200 means none changed on the way.
      const [delivery] = await world.sandbox.approve(phone.phoneNumberId);
      expect(delivery?.status).toBe(200);
      const { phone: stored } = await storedState(phone.phoneNumberId);
      expect(stored).toMatchObject({ username: "lucky_shrub", status: "approved", source: "webhook" });
    } finally {
      world.sandbox.configureWebhook(null);
    }
  });
});
