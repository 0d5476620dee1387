/**
 * What docs/openapi.json says about the tenant's self-service routes (webhook endpoints, their
 * delivery logs, API keys) agrees with the code: every route with its answer and its errors, the
 * examples accepted by the very schemas the handlers answer with, the path ids' patterns the
 * handlers' own, and a secret or key only in the answers that show it once.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { graphErrorSchema } from "../../functions/core/errors/graph-error-envelope.ts";
import {
  API_KEY_ID_PATTERN,
  ENDPOINT_ID_PATTERN,
  EVENT_ID_PATTERN,
} from "../../functions/core/validation/self-service.ts";
import {
  createApiKeyBodySchema,
  createEndpointBodySchema,
  rotateSecretBodySchema,
} from "../../functions/core/validation/self-service-bodies.ts";
import {
  apiKeySchema,
  createdApiKeySchema,
  createdWebhookEndpointSchema,
  rotatedWebhookEndpointSchema,
  successSchema,
  webhookDeliverySchema,
  webhookEndpointSchema,
} from "../../functions/core/validation/self-service-views.ts";
import { routes } from "../../infra/routes.ts";
import { buildOpenApiDocument } from "../../openapi/document.ts";

// biome-ignore lint/suspicious/noExplicitAny: a JSON document walked by path in assertions.
type Json = any;
const document: Json = buildOpenApiDocument();
const SELF_SERVICE = routes.filter((r) => /^\/v1\/(webhook_endpoints|api_keys)/.test(r.path));

describe("the self-service routes in docs/openapi.json", () => {
  it("are all there, each with its answer and the errors a route without Meta can have", () => {
    expect(SELF_SERVICE).toHaveLength(11);
    for (const route of SELF_SERVICE) {
      const operation = document.paths[route.path][route.method.toLowerCase()];
      const label = `${route.method} ${route.path}`;
      expect(Object.keys(operation.responses).sort(), label).toEqual(
        ["200", "400", "401", "413", "429", "503", "default"].sort(),
      );
      expect(operation.responses["400"], label).toEqual({
        $ref: "#/components/responses/SelfServiceBadRequest",
      });
      expect(operation.security, label).toEqual([{ ApiKey: [] }, { BearerApiKey: [] }, { AccessToken: [] }]);
      const parameters = (operation.parameters ?? []).map((p: Json) => p.$ref.split("/").pop());
      const listing = route.method === "GET" && !route.path.endsWith("}");
      expect(
        parameters.filter((p: string) => ["limit", "after", "before"].includes(p)),
        label,
      ).toEqual(listing ? ["limit", "after", "before"] : []);
      if (route.method === "POST" && !route.path.endsWith("/redeliver")) {
        expect(Object.keys(operation.requestBody.content), label).toEqual(["application/json"]);
        // Creations and updates need a body; a rotation's overlap is optional.
        expect(operation.requestBody.required, label).toBe(!route.path.endsWith("/rotate_secret"));
      } else {
        expect(operation.requestBody, label).toBeUndefined();
      }
    }
  });

  it("has examples the handlers' schemas accept, and error examples in Graph's envelope", () => {
    const schemas = document.components.schemas;
    const checks = [
      [schemas.CreateWebhookEndpointRequest, createEndpointBodySchema],
      [schemas.WebhookEndpoint, webhookEndpointSchema],
      [schemas.CreatedWebhookEndpoint, createdWebhookEndpointSchema],
      [schemas.RotatedWebhookEndpoint, rotatedWebhookEndpointSchema],
      [schemas.RotateWebhookEndpointSecretRequest, rotateSecretBodySchema],
      [schemas.WebhookDelivery, webhookDeliverySchema],
      [schemas.CreateApiKeyRequest, createApiKeyBodySchema],
      [schemas.ApiKey, apiKeySchema],
      [schemas.CreatedApiKey, createdApiKeySchema],
      [schemas.Success, successSchema],
    ] as const;
    for (const [schema, zod] of checks) {
      expect(schema.examples.length).toBeGreaterThan(0);
      for (const example of schema.examples)
        expect(zod.safeParse(example).success, JSON.stringify(example)).toBe(true);
    }
    const examples = Object.values(
      document.components.responses.SelfServiceBadRequest.content["application/json"].examples,
    ) as Json[];
    expect(examples.map((e) => e.value.error.code).sort()).toEqual([100, 100, 100, 33]);
    for (const example of examples) expect(graphErrorSchema.safeParse(example.value).success).toBe(true);
  });

  it("shows a secret or a key only in the answers that show it once", () => {
    const schemas = document.components.schemas;
    const fields = (name: string) => Object.keys(schemas[name].properties);
    expect(fields("CreatedWebhookEndpoint")).toContain("secret");
    expect(fields("RotatedWebhookEndpoint")).toEqual(
      expect.arrayContaining(["secret", "previous_secret_expires_time"]),
    );
    expect(fields("CreatedApiKey")).toContain("key");
    for (const name of ["WebhookEndpoint", "ApiKey", "WebhookDelivery"]) {
      expect(
        fields(name).filter((f) => f === "secret" || f === "key" || /hash/i.test(f)),
        name,
      ).toEqual([]);
    }
  });

  it("gives the path ids the handlers' patterns", () => {
    const id = new RegExp(document.components.parameters.id.schema.pattern);
    const eventId = new RegExp(document.components.parameters.event_id.schema.pattern);
    const candidate = fc.oneof(
      fc.stringMatching(ENDPOINT_ID_PATTERN),
      fc.stringMatching(API_KEY_ID_PATTERN),
      fc.stringMatching(EVENT_ID_PATTERN),
      fc.string({ maxLength: 40 }),
      fc.stringMatching(/^(ep|key|evt)_[0-9a-fA-Z]{14,28}$/),
    );
    fc.assert(
      fc.property(candidate, (value) => {
        expect(id.test(value), value).toBe(ENDPOINT_ID_PATTERN.test(value) || API_KEY_ID_PATTERN.test(value));
        expect(eventId.test(value), value).toBe(EVENT_ID_PATTERN.test(value));
      }),
      { numRuns: 2_000 },
    );
  });
});
