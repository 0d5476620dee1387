/**
 * The service's OpenAPI 3.1 document, built from infra/routes.ts and the zod schemas the
 * handlers validate with. `npm run openapi` writes it to docs/openapi.json (openapi/write.ts);
 * the local gateway serves it at GET /openapi.json; a unit test fails when the file is stale.
 */

import { DEFAULT_PORT } from "../dev/local-defaults.ts";
import { pathParametersSchema } from "../functions/core/validation/username-request.ts";
import { type RouteDefinition, routes } from "../infra/routes.ts";
import packageJson from "../package.json" with { type: "json" };
import { consoleOperations, consoleParameters } from "./console.ts";
import { errorResponses } from "./error-responses.ts";
import { gatewayResponses, gatewaySchemas } from "./gateway-answers.ts";
import { healthOperations, healthSchemas } from "./health.ts";
import { idempotencyKeyParameter } from "./idempotency-key.ts";
import { jsonSchemaOf, propertiesOf } from "./json-schema.ts";
import { type OperationInfo, operations } from "./operations.ts";
import { metaHeaderComponents } from "./parameter-forms.ts";
import { requiredCommonHeaderComponents, withCommonHeaders } from "./response-headers.ts";
import { schemaComponents } from "./schemas.ts";
import {
  tenantApiOperations,
  tenantApiParameters,
  tenantApiResponses,
  tenantApiSchemas,
  tenantWebhooks,
} from "./tenant-api.ts";

const PATH_PARAMETER_DESCRIPTIONS: Record<string, string> = {
  version: "Graph API version, forwarded to Meta unchanged, e.g. `v24.0`.",
  phone_number_id: "Meta's phone number id; it must be registered to the caller's tenant.",
};

/** components.parameters for every `{name}` of the route paths, from the path schema. */
function pathParameters(): Record<string, unknown> {
  const properties = propertiesOf(jsonSchemaOf(pathParametersSchema));
  return Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => [
      name,
      { name, in: "path", required: true, description: PATH_PARAMETER_DESCRIPTIONS[name], schema },
    ]),
  );
}

function operationKey(route: RouteDefinition): string {
  return `${route.method} ${route.path}`;
}

function operationFor(route: RouteDefinition, declared: Record<string, unknown>) {
  const info: OperationInfo | undefined = {
    ...operations,
    ...tenantApiOperations,
    ...healthOperations,
    ...consoleOperations,
  }[operationKey(route)];
  if (!info) throw new Error(`infra/routes.ts has ${operationKey(route)} but openapi/operations.ts does not`);
  const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] ?? "");
  for (const name of inPath) {
    if (!declared[name]) throw new Error(`path parameter {${name}} of ${route.path} has no schema`);
  }
  const { operationId, tags, summary, description, parameters = [], requestBody, responses, security } = info;
  const all = [...inPath.map((name) => ({ $ref: `#/components/parameters/${name}` })), ...parameters];
  return {
    operationId,
    tags,
    summary,
    description,
    ...(all.length ? { parameters: all } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
    security,
    "x-function-name": route.functionName,
  };
}

type Operation = ReturnType<typeof operationFor>;
type ResponseObject = { $ref?: string; content?: unknown; headers?: Record<string, unknown> };

/**
 * HEAD of a GET route: API Gateway routes it to the GET's function (infra/api.ts), which answers
 * the GET's status and headers with no body (functions/core/http/http-handler.ts).
 */
function headOperation(get: Operation, components: Record<string, ResponseObject>): Operation {
  const responses = Object.fromEntries(
    Object.entries(get.responses as Record<string, ResponseObject>).map(([status, response]) => {
      const resolved = response.$ref ? components[response.$ref.split("/").pop() ?? ""] : response;
      if (!resolved) throw new Error(`no component for ${response.$ref}`);
      const { content: _body, ...withoutBody } = resolved;
      return [status, withoutBody];
    }),
  );
  return {
    ...get,
    operationId: `${get.operationId}Head`,
    summary: `${get.summary} (headers only)`,
    description:
      `HEAD: the status and headers \`GET\` answers (its \`content-length\` too), without the body. ` +
      "For uptime monitors and clients that probe with HEAD; it does what the GET does.",
    responses,
  };
}

/** Responses API Gateway's throttle may answer instead of the service: its own headers only. */
const THROTTLEABLE = new Set(["429"]);

/** Every response object of the paths and components with the common headers (response-headers.ts). */
function addCommonHeaders(
  paths: Record<string, Record<string, Operation>>,
  components: Record<string, ResponseObject>,
): void {
  for (const [name, response] of Object.entries(components)) {
    if (name === "Throttled") {
      // API Gateway's own answer: its request id, none of the service's headers.
      const { "apigw-requestid": requestId } = withCommonHeaders<ResponseObject>({}, true).headers ?? {};
      components[name] = { ...response, headers: { "apigw-requestid": requestId } };
    } else {
      components[name] = withCommonHeaders(response, /RateLimited$/.test(name));
    }
  }
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item)) {
      const responses = operation.responses as Record<string, ResponseObject>;
      for (const [status, response] of Object.entries(responses)) {
        responses[status] = withCommonHeaders(response, THROTTLEABLE.has(status));
      }
    }
  }
}

export function buildOpenApiDocument() {
  const known = new Set(routes.map(operationKey));
  const stale = Object.keys({
    ...operations,
    ...tenantApiOperations,
    ...healthOperations,
    ...consoleOperations,
  }).filter((key) => !known.has(key));
  if (stale.length)
    throw new Error(`openapi/operations.ts describes routes that do not exist: ${stale.join(", ")}`);

  const parameters = {
    ...pathParameters(),
    IdempotencyKey: idempotencyKeyParameter(),
    ...tenantApiParameters(),
    ...consoleParameters(),
  };
  const responses: Record<string, ResponseObject> = {
    ...errorResponses(),
    ...tenantApiResponses(),
    ...gatewayResponses(),
  };
  const paths: Record<string, Record<string, Operation>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    const operation = operationFor(route, parameters);
    // biome-ignore lint/style/noNonNullAssertion: assigned above.
    paths[route.path]![route.method.toLowerCase()] = operation;
    // biome-ignore lint/style/noNonNullAssertion: assigned above.
    if (route.method === "GET") paths[route.path]!.head = headOperation(operation, responses);
  }
  addCommonHeaders(paths, responses);
  return {
    openapi: "3.1.0",
    info: {
      title: "whatsapp-usernames",
      version: packageJson.version,
      description:
        "Manage the business username of WhatsApp business phone numbers through a proxy that speaks Meta's " +
        "Graph API dialect: clients written for the Graph API work by changing only the base URL and using an " +
        "API key as their token (header, or Graph's `access_token` parameter). Parameters are taken as JSON, " +
        "a form or the query string. Every error is a Graph-style envelope; Meta's pass through byte for byte " +
        "with their status and the Meta headers clients act on. Under `/v1`, tenants read their numbers, each " +
        "number's username history and the change feed from the service's own records (never a call to Meta); " +
        "every change is also POSTed to their webhook endpoints, signed per Standard Webhooks (`webhooks`).",
    },
    servers: [
      { url: `http://127.0.0.1:${DEFAULT_PORT}`, description: "npm start (local gateway)" },
      {
        url: "https://{apiId}.execute-api.{region}.amazonaws.com",
        description: "A deployed stage (sst deploy prints its URL)",
        variables: { apiId: { default: "abcdef1234" }, region: { default: "us-east-1" } },
      },
    ],
    tags: [
      { name: "usernames", description: "The username API, for a tenant's backend (API key)" },
      { name: "webhook", description: "Meta's webhook (signed with the app secret)" },
      {
        name: "tenant API",
        description: "The tenant's recorded state, history and change feed (API key, no Meta call)",
      },
      { name: "tenant events", description: "Signed webhooks the service sends to the tenant's endpoints" },
      { name: "operations", description: "For operators and monitors (no authentication)" },
      { name: "console", description: "The tenant console: a web page and its files, for people" },
    ],
    paths,
    webhooks: tenantWebhooks(),
    components: {
      securitySchemes: {
        ApiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "A tenant's API key." },
        BearerApiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "The same API key as `Authorization: Bearer <key>`, for Graph clients that can only send that.",
        },
        AccessToken: {
          type: "apiKey",
          in: "query",
          name: "access_token",
          description:
            "The same API key as Graph's `access_token` parameter: in the query string, or a form or JSON " +
            "field of the body. Never forwarded to Meta, never logged.",
        },
      },
      headers: { ...requiredCommonHeaderComponents(), ...metaHeaderComponents() },
      parameters,
      schemas: { ...schemaComponents(), ...tenantApiSchemas(), ...healthSchemas(), ...gatewaySchemas() },
      responses,
    },
  };
}

/** The document as committed: two-space JSON with a trailing newline. */
export function openApiJson(): string {
  return `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
}
