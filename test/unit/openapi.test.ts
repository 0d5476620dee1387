/**
 * docs/openapi.json is generated (npm run openapi) from infra/routes.ts and the handlers' zod
 * schemas: the committed file must equal a fresh build, describe every route, and say what the
 * code does (examples the schemas accept, a username pattern that agrees with the format rules).
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { graphErrorSchema } from "../../functions/core/errors/graph-error-envelope.ts";
import { PASSED_THROUGH_HEADERS } from "../../functions/core/graph/client.ts";
import { idempotencyKeyOf } from "../../functions/core/idempotency/idempotency-key.ts";
import { phoneNumberSchema, usernameChangeEventSchema } from "../../functions/core/validation/tenant-api.ts";
import {
  brokenUsernameRule,
  USERNAME_MAX_LENGTH,
  USERNAME_MIN_LENGTH,
} from "../../functions/core/validation/username-format.ts";
import {
  claimResponseSchema,
  claimUsernameBodySchema,
  deleteResponseSchema,
  suggestionsResponseSchema,
  usernameResponseSchema,
} from "../../functions/core/validation/username-request.ts";
import { webhookPayloadSchema } from "../../functions/core/validation/webhook.ts";
import { routes } from "../../infra/routes.ts";
import { buildOpenApiDocument, openApiJson } from "../../openapi/document.ts";
import { usernamePattern } from "../../openapi/username-pattern.ts";
import { usernameCandidate } from "../support/username-arbitraries.ts";

// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by path in assertions.
type Json = any;

const document: Json = buildOpenApiDocument();

describe("docs/openapi.json", () => {
  it("is the committed output of npm run openapi (regenerate it when this fails)", () => {
    const committed = readFileSync(new URL("../../docs/openapi.json", import.meta.url), "utf8");
    expect(committed, "docs/openapi.json is stale: run `npm run openapi` and commit the result").toBe(
      openApiJson(),
    );
  });

  it("is deterministic JSON with a trailing newline", () => {
    const text = openApiJson();
    expect(text.endsWith("}\n")).toBe(true);
    expect(openApiJson()).toBe(text);
    expect(JSON.parse(text)).toEqual(document);
  });
});

describe("the document", () => {
  it("is OpenAPI 3.1 with the X-API-Key scheme, and bearer and access_token as alternatives", () => {
    expect(document.openapi).toBe("3.1.0");
    expect(document.components.securitySchemes).toEqual({
      ApiKey: expect.objectContaining({ type: "apiKey", in: "header", name: "X-API-Key" }),
      BearerApiKey: expect.objectContaining({ type: "http", scheme: "bearer" }),
      AccessToken: expect.objectContaining({ type: "apiKey", in: "query", name: "access_token" }),
    });
  });

  it("describes the POST parameters in every form Graph takes, and Meta's headers on Meta's answers", () => {
    const claim = document.paths["/meta/whatsapp/{version}/{phone_number_id}/username"].post;
    expect(Object.keys(claim.requestBody.content).sort()).toEqual([
      "application/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
    ]);
    expect(claim.requestBody.description).toMatch(/body's value of a parameter wins over the query string's/);
    const query = claim.parameters.filter((p: Json) => p.in === "query").map((p: Json) => p.name);
    expect(query.sort()).toEqual(["access_token", "method", "transfer_action", "username"]);
    for (const name of PASSED_THROUGH_HEADERS) {
      expect(document.components.headers[name], name).toBeDefined();
      expect(claim.responses["200"].headers[name], name).toEqual({ $ref: `#/components/headers/${name}` });
      expect(document.components.responses.BadRequest.headers[name], name).toBeDefined();
    }
    expect(document.components.responses.Unauthorized.headers["www-authenticate"]).toBeDefined();
  });

  it("describes every route of infra/routes.ts and HEAD of each GET route, and nothing else", () => {
    const described = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const heads = routes.filter((r) => r.method === "GET").map((r) => `HEAD ${r.path}`);
    expect(described.sort()).toEqual([...routes.map((r) => `${r.method} ${r.path}`), ...heads].sort());
    for (const path of heads.map((key) => key.slice("HEAD ".length))) {
      const head = document.paths[path].head;
      expect(Object.keys(head.responses)).toEqual(Object.keys(document.paths[path].get.responses));
      for (const response of Object.values(head.responses) as Json[])
        expect(response.content).toBeUndefined();
    }
    for (const route of routes) {
      const operation = document.paths[route.path][route.method.toLowerCase()];
      expect(operation["x-function-name"]).toBe(route.functionName);
      const declared = (operation.parameters ?? []).map((p: Json) => p.$ref?.split("/").pop() ?? p.name);
      for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) expect(declared).toContain(name);
      // Callers with API keys authenticate; Meta signs instead.
      if (route.audience === "api")
        expect(operation.security).toEqual([{ ApiKey: [] }, { BearerApiKey: [] }, { AccessToken: [] }]);
      else expect(operation.security).toEqual([]);
    }
  });

  it("documents API Gateway's 429 on every operation: the stage's throttle applies to every route", () => {
    // infra/api.ts sets the stage's defaultRouteSettings (ROUTE_THROTTLING), with no route exempt:
    // the console's page and files are throttled like the API's routes.
    const missing: string[] = [];
    for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
      for (const [method, operation] of Object.entries(item as Record<string, Json>)) {
        if (!operation.responses?.["429"]) missing.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(missing).toEqual([]);
    const page = document.paths["/console"].get.responses["429"];
    expect(page).toEqual({ $ref: "#/components/responses/Throttled" });
  });

  it("gives every username route its success and Graph error responses", () => {
    for (const route of routes.filter((r) => r.audience === "api" && r.path.startsWith("/meta/"))) {
      const responses = document.paths[route.path][route.method.toLowerCase()].responses;
      const statuses = ["200", "400", "401", "403", "413", "429", "502", "503", "504", "default"];
      // Writes take an Idempotency-Key, and answer its conflicts.
      if (route.method !== "GET") statuses.push("409", "422");
      expect(Object.keys(responses).sort(), `${route.method} ${route.path}`).toEqual(statuses.sort());
    }
    const claim = document.paths["/meta/whatsapp/{version}/{phone_number_id}/username"].post;
    expect(claim.parameters).toContainEqual({ $ref: "#/components/parameters/IdempotencyKey" });
    expect(claim.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/ClaimUsernameRequest",
    });
    const webhook = document.paths["/meta/whatsapp/webhook"];
    expect(webhook.get.responses["200"].content["text/plain"]).toBeDefined();
    expect(webhook.get.responses["403"]).toEqual({ $ref: "#/components/responses/WebhookForbidden" });
    expect(webhook.get.parameters.map((p: Json) => p.name)).toEqual([
      "hub.mode",
      "hub.verify_token",
      "hub.challenge",
    ]);
    expect(webhook.post.parameters[0]).toMatchObject({
      name: "X-Hub-Signature-256",
      in: "header",
      required: true,
    });
    expect(Object.keys(webhook.post.responses)).toEqual([
      "200",
      "400",
      "401",
      "413",
      "429",
      "500",
      "503",
      "default",
    ]);
  });

  it("gives every /v1 read route its answer and the errors a read without Meta can have, with Graph paging", () => {
    // The self-service routes under /v1 (webhook endpoints, API keys): test/unit/openapi-self-service.test.ts.
    const v1 = routes.filter((r) => /^\/v1\/(phone_numbers|username_changes)/.test(r.path));
    expect(v1).toHaveLength(4);
    for (const route of v1) {
      const operation = document.paths[route.path].get;
      expect(Object.keys(operation.responses).sort(), route.path).toEqual(
        ["200", "400", "401", "413", "429", "503", "default"].sort(),
      );
      const listing = !route.path.endsWith("}");
      const paging = (operation.parameters ?? []).filter((p: Json) => !p.$ref?.endsWith("phone_number_id"));
      expect(
        paging.map((p: Json) => p.$ref.split("/").pop()),
        route.path,
      ).toEqual(listing ? ["limit", "after", "before"] : []);
    }
    expect(document.components.parameters.limit.schema).toMatchObject({
      minimum: 1,
      maximum: 100,
      default: 25,
    });
  });

  it("describes the tenant event as an OpenAPI 3.1 webhook, signed per Standard Webhooks", () => {
    const event = document.webhooks["username.updated"].post;
    expect(event.requestBody.content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/UsernameChangeEvent",
    });
    expect(event.parameters.map((p: Json) => [p.name, p.in, p.required])).toEqual([
      ["webhook-id", "header", true],
      ["webhook-timestamp", "header", true],
      ["webhook-signature", "header", true],
    ]);
    const examples = [
      event.requestBody.content["application/json"].example,
      ...document.components.schemas.UsernameChangeEvent.examples,
    ];
    for (const example of examples) expect(usernameChangeEventSchema.safeParse(example).success).toBe(true);
    for (const example of document.components.schemas.PhoneNumber.examples) {
      expect(phoneNumberSchema.safeParse(example).success).toBe(true);
    }
  });

  it("has no dangling $ref", () => {
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [key, value] of Object.entries(node)) {
          if (key === "$ref" && typeof value === "string") refs.push(value);
          else walk(value);
        }
      }
    };
    walk(document);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      const target = ref
        .replace(/^#\//, "")
        .split("/")
        .reduce<Json>((node, part) => node?.[part], document);
      expect(target, ref).toBeDefined();
    }
  });

  it("has error examples the Graph error schema accepts, and success examples the handlers' schemas accept", () => {
    const responses = Object.entries(document.components.responses) as [string, Json][];
    expect(responses.length).toBeGreaterThan(5);
    for (const [name, response] of responses) {
      const examples = Object.values(response.content["application/json"].examples) as Json[];
      expect(examples.length, name).toBeGreaterThan(0);
      // The service's own errors have its exact envelope; Meta's (passed through) and API
      // Gateway's ({"message"}) need not: the contract test validates each against the document.
      const own = examples.filter(
        (example) => !("message" in example.value) && !/^From Meta/.test(example.summary ?? ""),
      );
      for (const example of own) expect(graphErrorSchema.safeParse(example.value).success, name).toBe(true);
    }
    const schemas = document.components.schemas;
    const checks = [
      [schemas.ClaimUsernameRequest, claimUsernameBodySchema],
      [schemas.ClaimUsernameResponse, claimResponseSchema],
      [schemas.DeleteUsernameResponse, deleteResponseSchema],
      [schemas.UsernameResponse, usernameResponseSchema],
      [schemas.UsernameSuggestionsResponse, suggestionsResponseSchema],
      [schemas.WebhookPayload, webhookPayloadSchema],
    ] as const;
    for (const [schema, zod] of checks) {
      expect(schema.examples.length).toBeGreaterThan(0);
      // A claim's parameters; `method=get|delete` examples name no username (the contract test
      // validates every example against the document itself).
      const claims = schema.examples.filter((example: Json) => !("method" in example));
      for (const example of claims)
        expect(zod.safeParse(example).success, JSON.stringify(example)).toBe(true);
    }
  });
});

describe("the Idempotency-Key pattern", () => {
  it("accepts exactly the keys the service accepts", () => {
    const schema = document.components.parameters.IdempotencyKey.schema;
    const pattern = new RegExp(schema.pattern);
    const accepted = (key: string) => {
      try {
        idempotencyKeyOf({ "idempotency-key": key });
        return true;
      } catch {
        return false;
      }
    };
    const keys = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: fc.constantFrom("a", " ", "~", "!", "\t", "é"), maxLength: 8 }),
      fc.integer({ min: 0, max: 300 }).map((n) => "k".repeat(n)),
    );
    fc.assert(
      fc.property(keys, (key) => {
        expect(pattern.test(key), JSON.stringify(key)).toBe(accepted(key));
      }),
      { numRuns: 3_000 },
    );
    expect(schema.maxLength).toBe(255);
  });
});

describe("the username pattern", () => {
  const schema = document.components.schemas.Username;

  it("carries the length bounds of the format rules", () => {
    expect(schema).toMatchObject({ minLength: USERNAME_MIN_LENGTH, maxLength: USERNAME_MAX_LENGTH });
    expect(schema.pattern).toBe(usernamePattern());
  });

  it("accepts exactly the names the service accepts", () => {
    const plain = new RegExp(schema.pattern);
    const unicode = new RegExp(schema.pattern, "u");
    fc.assert(
      fc.property(usernameCandidate, (name) => {
        const valid = brokenUsernameRule(name) === undefined;
        expect(plain.test(name), name).toBe(valid);
        expect(unicode.test(name), name).toBe(valid);
      }),
      { numRuns: 5_000 },
    );
    for (const name of ["lucky_shrub", "my.id", "a_1", "x".repeat(35), "WWx", "shop.Co_"]) {
      expect(plain.test(name), name).toBe(true);
    }
    for (const name of ["ab", "www_shop", "WwW.x", "shop.COM", "a..b", ".ab", "ab.", "123", "ñandu", "a-b"]) {
      expect(plain.test(name), name).toBe(false);
    }
  });
});
