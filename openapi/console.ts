/**
 * What the document says about the console's routes (functions/console/, docs/architecture.md
 * "The console"): a web page and its files for people, not an API for programs, described so the
 * document still names every route of infra/routes.ts. The stage's throttle (infra/api.ts
 * `defaultRouteSettings`) applies to these routes as to every other: each documents API Gateway's
 * own 429 (openapi/gateway-answers.ts).
 */
import {
  CONSOLE_SECURITY_HEADERS,
  IMMUTABLE_CACHE,
  REVALIDATE_CACHE,
} from "../functions/console/console-assets.ts";
import type { OperationInfo } from "./operations.ts";

/** The console's own security headers, on every answer of its function, each as it sends it. */
const securityHeaders = Object.fromEntries(
  Object.entries(CONSOLE_SECURITY_HEADERS).map(([name, value]) => [
    name,
    {
      description:
        name === "content-security-policy"
          ? "The console's policy: this origin only, no inline script, `frame-ancestors 'none'`."
          : "One of the console's security headers.",
      required: true,
      schema: { type: "string", const: value },
    },
  ]),
);

/** What a file's answer (and its 304) carries besides the security headers. */
const fileHeaders = {
  etag: {
    description: "Strong validator of the file's content.",
    required: true,
    schema: { type: "string" },
  },
  "cache-control": {
    description: "`no-cache` for the page; `public, max-age=31536000, immutable` for content-hashed files.",
    required: true,
    schema: { type: "string", enum: [REVALIDATE_CACHE, IMMUTABLE_CACHE] },
  },
  vary: {
    description: "`accept-encoding`: precompressed copies are chosen by it.",
    schema: { type: "string" },
  },
  "content-encoding": {
    description: "`br` or `gzip` when the browser accepts it.",
    schema: { type: "string" },
  },
};

const file = (description: string, types: string[]) => ({
  description,
  headers: { ...securityHeaders, ...fileHeaders },
  content: Object.fromEntries(types.map((type) => [type, { schema: { type: "string" } }])),
});

const unchanged = (description: string) => ({ description, headers: { ...securityHeaders, ...fileHeaders } });

const errorHeaders = {
  ...securityHeaders,
  "cache-control": {
    description: "Never stored.",
    required: true,
    schema: { type: "string", const: "no-store" },
  },
};

const notFound = {
  description: "No such file of the console",
  headers: errorHeaders,
  content: { "application/json": { schema: { $ref: "#/components/schemas/GraphError" } } },
};

/** API Gateway's throttle, answered before the console's function runs (no security headers). */
const throttled = { $ref: "#/components/responses/Throttled" };

/** The operations of the console's two routes, by route key. */
export const consoleOperations: Record<string, OperationInfo> = {
  "GET /console": {
    operationId: "getConsole",
    tags: ["console"],
    summary: "The tenant console (web page)",
    description:
      "The console's page, also at `/console/`. A person signs in by pasting an API key, which the page keeps " +
      "for its browser tab and sends as `X-API-Key` to the routes of this document; the page itself holds no " +
      "data and needs no key. Served with a strict Content-Security-Policy; precompressed (`br`, `gzip`) " +
      "when the browser accepts it; `304` for a matching `If-None-Match`.",
    security: [],
    responses: {
      "200": file("The page", ["text/html"]),
      "304": unchanged("The page is unchanged (`If-None-Match`)"),
      "429": throttled,
      "503": {
        description: "The console was not built (a local checkout before `npm run console:build`)",
        headers: errorHeaders,
        content: { "application/json": { schema: { $ref: "#/components/schemas/GraphError" } } },
      },
    },
  },
  "GET /console/assets/{asset}": {
    operationId: "getConsoleAsset",
    tags: ["console"],
    summary: "A file of the tenant console",
    description:
      "A script, stylesheet or image of the console, named by its content hash, so cached for a year.",
    security: [],
    responses: {
      "200": file("The file", ["text/javascript", "text/css", "image/svg+xml"]),
      "304": unchanged("The file is unchanged (`If-None-Match`)"),
      "404": notFound,
      "429": throttled,
    },
  },
};

/** components.parameters of the console's path parameters. */
export function consoleParameters(): Record<string, unknown> {
  return {
    asset: {
      name: "asset",
      in: "path",
      required: true,
      description: "A file name of the console's build (`index-1a2b3c4d.js`), as its page links it.",
      schema: { type: "string" },
    },
  };
}
