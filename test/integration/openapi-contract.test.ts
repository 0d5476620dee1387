/**
 * The contract test: docs/openapi.json is exactly what the service does. Driven by the document
 * alone, so every operation it lists is covered, routes added later included:
 *  - the document is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator), and every example in
 *    it (schemas' `examples`, media types' `example`/`examples`, parameters') validates against its
 *    schema (ajv, JSON Schema 2020-12 with formats);
 *  - every operation is called over real HTTP against the local stack (the gateway invoking the
 *    handlers, DynamoDB Local, the Meta sandbox), and every documented status of it is provoked
 *    (its success, its errors: bad input, no key, Meta's refusals and failures passed through,
 *    storage down, the tenant's limits, API Gateway's own throttle) by the first provoker of that
 *    status that applies; a documented status nothing provokes fails the test (`default` aside);
 *  - every webhook the document lists (`webhooks`: what the service POSTs to tenants) is sent
 *    for real to an endpoint here, and its headers and body validated and its signature verified;
 *  - every answer, whatever its status, is validated against the document: its status is
 *    documented (or falls under `default`), its content type is one the response lists, its body
 *    validates against the schema (none where none is documented: HEAD), every documented header
 *    present validates and every required one is there, and no header is sent undocumented beyond
 *    HTTP's own (content-type, content-length, date, connection, keep-alive).
 */
import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  importHandler,
  type LambdaHandler,
  type LocalGateway,
  startLocalGateway,
} from "../../dev/local-gateway.ts";
import { CONSOLE_DIST, consoleHandler } from "../../functions/console/console-assets.ts";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { removeEndpointById } from "../../functions/core/admin/webhooks.ts";
import { WEBHOOK_BODY_LIMIT_BYTES } from "../../functions/core/http/meta-webhook-delivery.ts";
import { API_BODY_LIMIT_BYTES } from "../../functions/core/http/request.ts";
import type { SandboxFault } from "../../meta-sandbox/index.ts";
import { META_ANSWER_EXAMPLES } from "../../meta-sandbox/index.ts";
import { useEventPipeline } from "../support/event-pipeline.ts";
import { injectStorageFaults, storageError } from "../support/storage-faults.ts";
import { startTenantEndpoint, verifiedEvent } from "../support/tenant-endpoint.ts";
import { APP_SECRET, configureWebhookSecrets, VERIFY_TOKEN } from "../support/webhook-client.ts";
import { type SeededPhone, type SeededTenant, seedPhone, seedTenant, useWorld } from "../support/world.ts";

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document, walked by path.
type Json = any;

const DOCUMENT_TEXT = readFileSync(new URL("../../docs/openapi.json", import.meta.url), "utf8");
const document: Json = JSON.parse(DOCUMENT_TEXT);
const DOCUMENT_ID = "https://contract.test/openapi.json";

configureWebhookSecrets();
const world = useWorld({ stream: true });
const pipeline = useEventPipeline(world);

// --- the validator ---------------------------------------------------------------------------

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats.default(ajv);
ajv.addSchema({ ...document, $id: DOCUMENT_ID });

/** JSON Pointer escaping of one path segment. */
const pointer = (...parts: (string | number)[]) =>
  parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
/** A validator for the schema at this JSON Pointer of the document (its $refs resolve in it). */
function schemaAt(location: string) {
  let validate = compiled.get(location);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#${location}` });
    compiled.set(location, validate);
  }
  return validate;
}

function resolve(node: Json): { node: Json; location?: string } {
  if (node?.$ref) {
    const location = String(node.$ref).replace(/^#/, "");
    const target = location
      .split("/")
      .slice(1)
      .reduce((at: Json, part) => at?.[part.replaceAll("~1", "/").replaceAll("~0", "~")], document);
    return { node: target, location };
  }
  return { node };
}

// --- the stack -------------------------------------------------------------------------------

let tenant: SeededTenant;
let phone: SeededPhone;
/** API Gateway's throttle, emulated: a second gateway whose buckets hold one request each. */
let throttled: LocalGateway;
/** Functions with a 3 s timeout: a deadline a slow store reaches. */
let short: LocalGateway;
/** The console's function over a build that is not there (a stack whose console was never built). */
let unbuilt: LocalGateway;

beforeAll(async () => {
  tenant = await seedTenant();
  phone = await seedPhone(world, tenant);
  throttled = await startLocalGateway({ log: false, throttling: { rateLimit: 0.001, burstLimit: 1 } });
  short = await startLocalGateway({ log: false, functionTimeoutMs: 3_000 });
  const emptyDist = await mkdtemp(join(tmpdir(), "contract-no-console-"));
  unbuilt = await startLocalGateway({
    log: false,
    loadHandler: async (route) =>
      route.audience === "console"
        ? (consoleHandler(emptyDist) as unknown as LambdaHandler)
        : importHandler(route),
  });
});
afterAll(async () => {
  await throttled?.close();
  await short?.close();
  await unbuilt?.close();
});

interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body?: Buffer;
  via?: "throttled" | "short" | "unbuilt";
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function send(call: Call): Promise<Answer> {
  const base = new URL(
    call.via === "throttled"
      ? throttled.url
      : call.via === "short"
        ? short.url
        : call.via === "unbuilt"
          ? unbuilt.url
          : pipeline.gateway.url,
  );
  const query = call.query.toString();
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      {
        host: base.hostname,
        port: base.port,
        method: call.method,
        path: `${call.path}${query ? `?${query}` : ""}`,
        headers: { ...call.headers, ...(call.body ? { "content-length": String(call.body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([name, value]) => [name, [value].flat().join(", ")]),
            ),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(call.body);
  });
}

// --- the operations --------------------------------------------------------------------------

interface Operation {
  method: string;
  path: string;
  operation: Json;
  location: string;
}

const OPERATIONS: Operation[] = Object.entries(document.paths as Record<string, Json>).flatMap(
  ([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ["get", "head", "post", "put", "patch", "delete"].includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        operation,
        location: `/${pointer("paths", path, method)}`,
      })),
);

function parametersOf(op: Operation): Json[] {
  return (op.operation.parameters ?? []).map((p: Json) => resolve(p).node);
}

const HTTP_OWN_HEADERS = new Set(["content-type", "content-length", "date", "connection", "keep-alive"]);

/** Values for path parameters the stack knows; others come from creating one (`collectionId`). */
const created = new Map<string, string>();

async function pathValue(op: Operation, name: string): Promise<string> {
  if (name === "version") return "v24.0";
  if (name === "phone_number_id") return phone.phoneNumberId;
  // A file of the console's build (test/support/global-setup.ts builds it), by its content-hashed name.
  if (name === "asset") return consoleAsset();
  if (name === "event_id") return feedEventId();
  const known = created.get(`${op.path}:${name}`);
  if (known) return known;
  // A resource the stack does not have yet: made by the POST of its collection with its example.
  const collection = op.path.slice(0, op.path.indexOf(`/{${name}}`));
  const create = OPERATIONS.find((o) => o.method === "POST" && o.path === collection);
  if (!create) throw new Error(`no value for {${name}} of ${op.path}: no POST ${collection} makes one`);
  const answer = await send(await validCall(create));
  const id = (JSON.parse(answer.body) as { id?: string }).id;
  if (!id) throw new Error(`POST ${collection} answered ${answer.status} without an id: ${answer.body}`);
  created.set(`${op.path}:${name}`, id);
  return id;
}

/**
 * An event of the tenant's change feed: the number's username claimed through the documented POST
 * (the sandbox accepts it), then the feed read until the sequencer has appended its event.
 */
let feedEvent: Promise<string> | undefined;
function feedEventId(): Promise<string> {
  feedEvent ??= (async () => {
    const claim = OPERATIONS.find(
      (o) => o.method === "POST" && o.path.endsWith("/{phone_number_id}/username"),
    );
    const feed = OPERATIONS.find((o) => o.method === "GET" && o.path === "/v1/username_changes");
    if (!claim || !feed) throw new Error("the document lacks the username POST or the change feed");
    const claimed = await send(await validCall(claim));
    if (claimed.status !== 200) throw new Error(`the claim answered ${claimed.status}: ${claimed.body}`);
    for (let attempt = 0; attempt < 100; attempt++) {
      const page = JSON.parse((await send(await validCall(feed))).body) as { data?: { id: string }[] };
      const id = page.data?.[0]?.id;
      if (id) return id;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("no event reached the tenant's change feed within 10 s");
  })();
  return feedEvent;
}

function exampleOf(node: Json): unknown {
  if (node === undefined) return undefined;
  if ("example" in node) return node.example;
  if (node.examples && !Array.isArray(node.examples)) return (Object.values(node.examples)[0] as Json)?.value;
  const schema = resolve(node.schema ?? node).node;
  if (Array.isArray(schema?.examples)) return schema.examples[0];
  if (schema?.const !== undefined) return schema.const;
  if (Array.isArray(schema?.enum)) return schema.enum[0];
  return undefined;
}

/** The first asset of the console's build, as its route names it (`assets/` left out). */
function consoleAsset(): string {
  const manifest = JSON.parse(readFileSync(join(CONSOLE_DIST, "console-manifest.json"), "utf8")) as {
    files: Record<string, unknown>;
  };
  const asset = Object.keys(manifest.files).find((file) => file.startsWith("assets/"));
  if (!asset) throw new Error("the console's build has no asset");
  return asset.slice("assets/".length);
}

/** Parameter values the document cannot say: the stack's secrets and fresh keys. */
const FIXED_QUERY: Record<string, string> = {
  "hub.verify_token": VERIFY_TOKEN,
  "hub.challenge": "1158201444",
};

function sign(body: Buffer): string {
  return `sha256=${createHmac("sha256", APP_SECRET).update(body).digest("hex")}`;
}

/** The operation's documented valid request: its examples, the stack's ids, the tenant's key. */
async function validCall(op: Operation): Promise<Call> {
  let path = op.path;
  for (const [, name] of op.path.matchAll(/\{(\w+)\}/g)) {
    path = path.replace(`{${name}}`, encodeURIComponent(await pathValue(op, name ?? "")));
  }
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  const media = op.operation.requestBody ? resolve(op.operation.requestBody).node.content : undefined;
  let body: Buffer | undefined;
  if (media?.["application/json"]) {
    body = Buffer.from(JSON.stringify(exampleOf(media["application/json"])));
    headers["content-type"] = "application/json";
  }
  for (const parameter of parametersOf(op)) {
    if (parameter.in === "query" && parameter.required) {
      query.set(parameter.name, FIXED_QUERY[parameter.name] ?? String(exampleOf(parameter)));
    }
    if (parameter.in === "header" && parameter.required) {
      headers[parameter.name.toLowerCase()] =
        parameter.name.toLowerCase() === "x-hub-signature-256"
          ? sign(body ?? Buffer.alloc(0))
          : String(exampleOf(parameter));
    }
  }
  if ((op.operation.security ?? []).length > 0) headers["x-api-key"] = tenant.apiKey;
  return { method: op.method, path, query, headers, ...(body ? { body } : {}) };
}

const hasParameter = (op: Operation, name: string) => parametersOf(op).some((p) => p.name === name);
const isSecured = (op: Operation) => (op.operation.security ?? []).length > 0;
const takesBody = (op: Operation) => op.operation.requestBody !== undefined;

// --- provokers: how to make an operation answer a status -------------------------------------

type Provoker = (op: Operation) => Promise<Answer[] | undefined>;

/** Runs `call` with Meta (the sandbox) answering as given; undefined when Meta was not asked. */
async function withMeta(fault: Record<string, unknown>, call: Call): Promise<Answer[] | undefined> {
  world.sandbox.clearRequests();
  world.sandbox.injectFault({ count: 5, ...fault } as SandboxFault);
  try {
    const answer = await send(call);
    return world.sandbox.requests().length > 0 ? [answer] : undefined;
  } finally {
    world.sandbox.clearFaults();
  }
}

async function withStoreDown(call: Call): Promise<Answer[]> {
  const restore = injectStorageFaults(() => storageError("ServiceUnavailable"));
  try {
    return [await send(call)];
  } finally {
    restore();
  }
}

const metaError = (status: number) => ({
  mode: "status",
  status,
  body: { error: { message: "refused by Meta", type: "OAuthException", code: status === 403 ? 10 : 100 } },
});

const PROVOKERS: Record<string, Provoker[]> = {
  success: [async (op) => [await send(await validCall(op))]],
  "400": [
    async (op) => {
      if (!op.path.includes("{")) return undefined;
      const call = await validCall(op);
      return [
        await send({
          ...call,
          path: call.path.replace(phone.phoneNumberId, "not-digits").replace("v24.0", "24"),
        }),
      ];
    },
    // An object id of the wrong format (an endpoint, key or event id): refused before any read.
    async (op) => {
      const ids = [...op.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      if (
        ids.length === 0 ||
        ids.some((name) => ["version", "phone_number_id", "asset"].includes(name ?? ""))
      ) {
        return undefined;
      }
      const call = await validCall(op);
      return [await send({ ...call, path: op.path.replace(/\{(\w+)\}/g, "malformed") })];
    },
    async (op) => {
      if (!hasParameter(op, "limit")) return undefined;
      const call = await validCall(op);
      call.query.set("limit", "0");
      return [await send(call)];
    },
    async (op) => {
      if (!takesBody(op)) return undefined;
      const call = await validCall(op);
      const body = Buffer.from("{not json");
      const headers = { ...call.headers };
      if (headers["x-hub-signature-256"]) headers["x-hub-signature-256"] = sign(body);
      return [await send({ ...call, headers, body })];
    },
    // Meta's own refusals, passed through byte for byte (a string `error_data`, no `type`...).
    async (op) =>
      withMeta(
        { mode: "status", rawBody: META_ANSWER_EXAMPLES["error-data-string"].body, status: 400 },
        await validCall(op),
      ),
  ],
  "401": [
    async (op) => {
      if (!isSecured(op)) return undefined;
      const { "x-api-key": _, ...headers } = (await validCall(op)).headers;
      return [await send({ ...(await validCall(op)), headers })];
    },
    async (op) => {
      const call = await validCall(op);
      if (!call.headers["x-hub-signature-256"]) return undefined;
      return [
        await send({
          ...call,
          headers: { ...call.headers, "x-hub-signature-256": `sha256=${"0".repeat(64)}` },
        }),
      ];
    },
  ],
  "403": [
    async (op) => {
      const call = await validCall(op);
      if (!call.query.has("hub.verify_token")) return undefined;
      call.query.set("hub.verify_token", "wrong");
      return [await send(call)];
    },
    async (op) => withMeta(metaError(403), await validCall(op)),
  ],
  "404": [
    // A file or resource the path names that is not there.
    async (op) => {
      if (!hasParameter(op, "asset")) return undefined;
      const call = await validCall(op);
      return [
        await send({
          ...call,
          path: call.path.replace(encodeURIComponent(consoleAsset()), "missing-00000000.js"),
        }),
      ];
    },
  ],
  "409": [
    async (op) => {
      if (!hasParameter(op, "Idempotency-Key")) return undefined;
      const call = await validCall(op);
      call.headers["idempotency-key"] = `contract-${randomBytes(6).toString("hex")}`;
      world.sandbox.injectFault({ mode: "slow", delayMs: 800, count: 1 });
      try {
        const first = send(call);
        await new Promise((r) => setTimeout(r, 300));
        return [await send(call), await first];
      } finally {
        world.sandbox.clearFaults();
      }
    },
  ],
  "413": [
    async (op) => {
      const call = await validCall(op);
      const limit = call.headers["x-hub-signature-256"] ? WEBHOOK_BODY_LIMIT_BYTES : API_BODY_LIMIT_BYTES;
      const body = Buffer.alloc(limit + 1, "a");
      const headers: Record<string, string> = { ...call.headers, "content-type": "application/json" };
      if (headers["x-hub-signature-256"]) headers["x-hub-signature-256"] = sign(body);
      return [await send({ ...call, headers, body })];
    },
  ],
  "422": [
    // The same key for another request: another body, or (no body) another Graph version.
    async (op) => {
      if (!hasParameter(op, "Idempotency-Key")) return undefined;
      const call = await validCall(op);
      call.headers["idempotency-key"] = `contract-${randomBytes(6).toString("hex")}`;
      const first = await send(call);
      const other = call.body
        ? { ...call, body: Buffer.from(JSON.stringify({ username: "another_name_entirely" })) }
        : { ...call, path: call.path.replace("/v24.0/", "/v23.0/") };
      return [first, await send(other)];
    },
  ],
  "429": [
    // The tenant's own limits (Meta calls, /v1 reads), lowered to one a minute.
    async (op) => {
      if (!isSecured(op)) return undefined;
      const saved = [process.env.TENANT_META_LIMIT_PER_MINUTE, process.env.TENANT_READ_LIMIT_PER_MINUTE];
      process.env.TENANT_META_LIMIT_PER_MINUTE = "1";
      process.env.TENANT_READ_LIMIT_PER_MINUTE = "1";
      try {
        const call = await validCall(op);
        return [await send(call), await send(call)];
      } finally {
        [process.env.TENANT_META_LIMIT_PER_MINUTE, process.env.TENANT_READ_LIMIT_PER_MINUTE] =
          saved as string[];
      }
    },
    // API Gateway's own throttle (emulated): the route's one-request bucket, then its 429.
    async (op) => {
      const call = { ...(await validCall(op)), via: "throttled" as const };
      return [await send(call), await send(call)];
    },
  ],
  "500": [
    async (op) => {
      const call = await validCall(op);
      if (!call.headers["x-hub-signature-256"]) return undefined;
      // A delivery for a known number whose state cannot be written: counted failed, answered 500.
      const body = Buffer.from(
        JSON.stringify({
          object: "whatsapp_business_account",
          entry: [
            {
              id: phone.wabaId,
              time: Math.floor(Date.now() / 1000) - 5,
              changes: [
                {
                  field: "business_username_updates",
                  value: {
                    display_phone_number: phone.displayPhoneNumber,
                    username: "contract_500",
                    status: "approved",
                  },
                },
              ],
            },
          ],
        }),
      );
      const restore = injectStorageFaults((command) =>
        command === "TransactWriteItemsCommand" || command === "TransactWriteCommand"
          ? storageError("ValidationException", "injected non-transient failure")
          : undefined,
      );
      try {
        return [
          await send({ ...call, body, headers: { ...call.headers, "x-hub-signature-256": sign(body) } }),
        ];
      } finally {
        restore();
      }
    },
    async (op) =>
      withMeta(
        { mode: "status", rawBody: META_ANSWER_EXAMPLES["unknown-error-untyped"].body, status: 500 },
        await validCall(op),
      ),
  ],
  "502": [async (op) => withMeta({ mode: "garbage" }, await validCall(op))],
  "304": [
    // A file asked for again with the ETag it was answered with.
    async (op) => {
      const call = await validCall(op);
      const first = await send({ ...call, method: "GET" });
      if (!first.headers.etag) return undefined;
      return [await send({ ...call, headers: { ...call.headers, "if-none-match": first.headers.etag } })];
    },
  ],
  "503": [
    async (op) => withMeta({ mode: "status", example: "transient-retry-after" }, await validCall(op)),
    // The console's function where its build is missing.
    async (op) =>
      op.path.startsWith("/console") ? [await send({ ...(await validCall(op)), via: "unbuilt" })] : undefined,
    async (op) => withStoreDown(await validCall(op)),
    // The function's deadline reached while the store is slow (a gateway with a 3 s timeout).
    async (op) => {
      const restore = injectStorageFaults(() => 2_500);
      try {
        return [await send({ ...(await validCall(op)), via: "short" })];
      } finally {
        restore();
      }
    },
  ],
  "504": [async (op) => withMeta({ mode: "hang" }, await validCall(op))],
};

// --- validation of one answer ----------------------------------------------------------------

function documentedResponse(op: Operation, status: number): { response: Json; location: string } | undefined {
  const responses = op.operation.responses as Record<string, Json>;
  const key = [String(status), `${String(status)[0]}XX`, "default"].find((k) => k in responses);
  if (!key) return undefined;
  const { node, location } = resolve(responses[key]);
  return { response: node, location: location ?? `${op.location}/${pointer("responses", key)}` };
}

/** Every way this answer breaks the document; none when it is what the document says. */
function violations(op: Operation, answer: Answer): string[] {
  const found = documentedResponse(op, answer.status);
  if (!found) return [`status ${answer.status} is not documented`];
  const { response, location } = found;
  const problems: string[] = [];
  const content = response.content as Record<string, Json> | undefined;
  if (!content || op.method === "HEAD") {
    if (answer.body !== "") problems.push(`a body where the document has none: ${answer.body.slice(0, 100)}`);
  } else {
    const type = (answer.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
    if (!(type in content))
      problems.push(`content-type ${type} is not one of ${Object.keys(content).join(", ")}`);
    else if (content[type].schema) {
      let body: unknown = answer.body;
      if (type.endsWith("json")) {
        try {
          body = JSON.parse(answer.body);
        } catch {
          problems.push(`body is not JSON: ${answer.body.slice(0, 100)}`);
        }
      }
      const validate = schemaAt(`${location}/${pointer("content", type, "schema")}`);
      if (!validate(body))
        problems.push(`body: ${ajv.errorsText(validate.errors)} in ${answer.body.slice(0, 300)}`);
    }
  }
  const headers = (response.headers ?? {}) as Record<string, Json>;
  for (const [name, declared] of Object.entries(headers)) {
    const { node: header, location: headerLocation } = resolve(declared);
    const value = answer.headers[name.toLowerCase()];
    if (value === undefined) {
      if (header.required) problems.push(`required header ${name} missing`);
      continue;
    }
    const schemaLocation = `${headerLocation ?? `${location}/${pointer("headers", name)}`}/schema`;
    const validate = schemaAt(schemaLocation);
    if (!validate(value)) problems.push(`header ${name}: ${ajv.errorsText(validate.errors)} (${value})`);
  }
  for (const name of Object.keys(answer.headers)) {
    if (!HTTP_OWN_HEADERS.has(name) && !Object.keys(headers).some((h) => h.toLowerCase() === name)) {
      problems.push(`header ${name} is sent but not documented`);
    }
  }
  return problems;
}

// --- the tests -------------------------------------------------------------------------------

describe("the document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? [], JSON.stringify(result.errors ?? []).slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it("has every example valid against its schema", () => {
    const checked: string[] = [];
    const problems: string[] = [];
    const check = (schemaLocation: string, example: unknown, where: string) => {
      checked.push(where);
      const validate = schemaAt(schemaLocation);
      if (!validate(example)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
    };
    const walk = (node: Json, location: string) => {
      if (Array.isArray(node)) {
        for (const [i, child] of node.entries()) walk(child, `${location}/${i}`);
        return;
      }
      if (!node || typeof node !== "object") return;
      // A schema's own `examples` (JSON Schema), each a value of that schema.
      if (Array.isArray(node.examples) && (node.type || node.properties || node.$ref || node.anyOf)) {
        for (const [i, example] of (node.examples as unknown[]).entries()) {
          check(location, example, `${location}/examples/${i}`);
        }
      }
      // A media type's or parameter's `example` / `examples` map, each of its `schema`.
      if (node.schema && "example" in node) check(`${location}/schema`, node.example, `${location}/example`);
      if (node.schema && node.examples && !Array.isArray(node.examples)) {
        for (const [name, example] of Object.entries(node.examples as Record<string, Json>)) {
          check(`${location}/schema`, (resolve(example).node as Json).value, `${location}/examples/${name}`);
        }
      }
      for (const [key, child] of Object.entries(node)) {
        if (key !== "examples" && key !== "example") walk(child, `${location}/${pointer(key)}`);
      }
    };
    walk(document, "");
    expect(problems).toEqual([]);
    expect(checked.length).toBeGreaterThan(40);
  });
});

describe("the webhooks the service sends (the document's `webhooks`)", { timeout: 60_000 }, () => {
  it.each(
    Object.entries(document.webhooks as Record<string, Json>).map(([name, item]) => [name, item] as const),
  )("%s: a real delivery's headers and body are what the document says, and verify", async (name, item) => {
    const endpoint = await startTenantEndpoint();
    const issued = await addEndpoint(tenant.tenantId, endpoint.url);
    try {
      // A change of the tenant's number: the event goes through the feed to the endpoint.
      const answer = await send({
        ...(await validCall(
          OPERATIONS.find(
            (o) => o.method === "POST" && o.path.endsWith("/{phone_number_id}/username"),
          ) as Operation,
        )),
        body: Buffer.from(JSON.stringify({ username: `contract_event_${randomBytes(3).toString("hex")}` })),
      });
      expect(answer.status, answer.body).toBe(200);
      const [request] = await endpoint.waitFor((received) => received.length > 0, 30_000);
      if (!request) throw new Error("no delivery");
      const location = `/${pointer("webhooks", name, "post")}`;
      const post = item.post as Json;
      const problems: string[] = [];
      for (const [i, declared] of (post.parameters as Json[]).entries()) {
        const parameter = resolve(declared).node;
        const value = request.headers[String(parameter.name).toLowerCase()];
        if (value === undefined) {
          if (parameter.required) problems.push(`header ${parameter.name} missing`);
          continue;
        }
        const validate = schemaAt(`${location}/parameters/${i}/schema`);
        if (!validate(value)) problems.push(`header ${parameter.name}: ${ajv.errorsText(validate.errors)}`);
      }
      const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim() ?? "";
      const content = resolve(post.requestBody).node.content as Record<string, Json>;
      expect(Object.keys(content)).toContain(type);
      const validate = schemaAt(`${location}/${pointer("requestBody", "content", type, "schema")}`);
      if (!validate(JSON.parse(request.body))) problems.push(`body: ${ajv.errorsText(validate.errors)}`);
      expect(problems).toEqual([]);
      // Signed as the document says (Standard Webhooks), with the secret the operator was given.
      expect(verifiedEvent(issued.secret, request)).toEqual(JSON.parse(request.body));
    } finally {
      await removeEndpointById(issued.id);
      await endpoint.close();
    }
  });
});

describe("every operation, against the local stack", { timeout: 120_000 }, () => {
  const unprovoked: string[] = [];
  const tested: string[] = [];

  it.each(OPERATIONS.map((op) => [`${op.method} ${op.path}`, op] as const))(
    "%s: each documented status provoked, every answer as documented",
    async (_name, op) => {
      const statuses = Object.keys(op.operation.responses).filter((status) => status !== "default");
      const problems: string[] = [];
      for (const status of statuses) {
        const kind = /^2/.test(status) ? "success" : status;
        const provokers = PROVOKERS[kind] ?? [];
        let provoked = false;
        for (const provoke of provokers) {
          const answers = await provoke(op);
          for (const answer of answers ?? []) {
            for (const problem of violations(op, answer)) problems.push(`${answer.status}: ${problem}`);
          }
          if (answers?.some((answer) => String(answer.status) === status)) {
            provoked = true;
            break;
          }
        }
        if (!provoked) unprovoked.push(`${op.method} ${op.path} ${status}`);
      }
      tested.push(`${op.method} ${op.path}`);
      expect(problems).toEqual([]);
    },
  );

  // Runs after the operations above (a file's tests run in order).
  it("provoked every documented status of every operation", () => {
    expect(tested).toHaveLength(OPERATIONS.length);
    expect(unprovoked, "documented statuses no provoker produced").toEqual([]);
  });
});

// After the operations above: a `method=delete` here clears the number's username.
describe("the claim's method override, in the query string and in the body", { timeout: 120_000 }, () => {
  // Graph's clients send `method` in any case; GET is how Go Graph clients read (`POST …?method=GET`).
  const values = [
    ...["post", "get", "delete"].flatMap((m) => [m, m.toUpperCase(), `${m[0]?.toUpperCase()}${m.slice(1)}`]),
    "gEt",
    ...["put", "PATCH", "head", "options", "", "posts", " get", "delete ", "getx"],
  ];

  it("is refused (400 code 100) exactly where the document's schemas refuse it", async () => {
    const claim = OPERATIONS.find(
      (o) => o.method === "POST" && o.path.endsWith("/{phone_number_id}/username"),
    ) as Operation;
    const index = (claim.operation.parameters as Json[]).findIndex(
      (p) => resolve(p).node.name === "method" && resolve(p).node.in === "query",
    );
    expect(index, "the document has the query parameter `method`").toBeGreaterThanOrEqual(0);
    const inQuery = schemaAt(`${claim.location}/${pointer("parameters", index, "schema")}`);
    const inBody = schemaAt(
      `${claim.location}/${pointer("requestBody", "content", "application/json", "schema")}`,
    );
    const disagreements: string[] = [];
    const problems: string[] = [];
    for (const value of values) {
      const viaQuery = await validCall(claim);
      viaQuery.query.set("method", value);
      const viaBody = await validCall(claim);
      const body = { ...(JSON.parse(viaBody.body?.toString() ?? "{}") as object), method: value };
      viaBody.body = Buffer.from(JSON.stringify(body));
      for (const [where, call, documented] of [
        ["query", viaQuery, inQuery(value)],
        ["body", viaBody, inBody(body)],
      ] as const) {
        const answer = await send(call);
        for (const problem of violations(claim, answer)) problems.push(`${where} ${value}: ${problem}`);
        const refused =
          answer.status === 400 &&
          (JSON.parse(answer.body) as { error?: { code?: number } }).error?.code === 100;
        if (refused === documented || (!refused && answer.status !== 200)) {
          disagreements.push(
            `method=${JSON.stringify(value)} in the ${where}: the document ${documented ? "accepts" : "refuses"} it, ` +
              `the service answered ${answer.status} ${answer.body.slice(0, 200)}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    expect(disagreements).toEqual([]);
  });
});
