/**
 * Serves the console's built files (console/build.ts writes them, with a manifest, into
 * console/dist) from the console's Lambda, with the console's own headers:
 *
 * - a strict Content-Security-Policy: everything from this origin only, no inline script or
 *   style, no `data:`, no plugins, no framing (`frame-ancestors 'none'`), forms post nowhere,
 *   and Trusted Types required, so no script of the page can write HTML from a string;
 * - `x-content-type-options: nosniff`, `referrer-policy: no-referrer`, `x-frame-options: DENY`,
 *   cross-origin isolation of the window and resources, HSTS;
 * - caching: content-hashed assets for a year (`immutable`), the page itself revalidated on every
 *   load (`no-cache` with a strong ETag: 304 when unchanged);
 * - the precompressed `br`/`gzip` copy when the browser accepts it (`vary: accept-encoding`).
 *
 * The files are found relative to this module: `../../console/dist/` is console/dist in the
 * repository (npm start, tests), and in the function's package, where infra/console.ts copies
 * console/dist to the same place beside the bundle (functions/console/serve-console.mjs).
 * Nothing is read from the request but the path, the method, `accept-encoding` and
 * `if-none-match`; no key is needed (the page holds no data: every datum comes from the API).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { graphErrors } from "../core/errors/graph-error.ts";

/** One file of the build, as console/build.ts describes it in `console-manifest.json`. */
export interface ManifestEntry {
  /** `content-type` to answer with. */
  type: string;
  /** Strong ETag of the uncompressed bytes, quoted. */
  etag: string;
  /** Size of the uncompressed bytes. */
  bytes: number;
  /** A content-hashed name (under assets/): cached for a year. */
  immutable: boolean;
  /** Precompressed siblings (`<file>.br`, `<file>.gz`), best first. */
  encodings: ("br" | "gzip")[];
}

/** console/dist/console-manifest.json. */
export interface ConsoleManifest {
  /** Hash of the build's inputs (console/build.ts decides from it whether to build again). */
  inputs: string;
  /** Files served, by path relative to the build folder (`index.html`, `assets/…`). */
  files: Record<string, ManifestEntry>;
}

/** The manifest's file name, in the build folder. */
export const MANIFEST_FILE = "console-manifest.json";

/** Where the build is, relative to this module (the repository, or the function's package). */
export const DEFAULT_DIST = fileURLToPath(new URL("../../console/dist/", import.meta.url));
/** Where the console's build is, for tools and tests. */
export const CONSOLE_DIST = DEFAULT_DIST;

/** The page's policy. `require-trusted-types-for`: no string ever becomes HTML or script. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join("; ");

/** On every answer of the console's function, files and errors alike. */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
  "strict-transport-security": "max-age=31536000",
};

/** Content-hashed assets: a new build has new names, so a cached copy is never stale. */
export const IMMUTABLE_CACHE = "public, max-age=31536000, immutable";
/** The page: asked again on every load (a 304 when the ETag still matches), so a deploy shows at once. */
export const REVALIDATE_CACHE = "no-cache";

interface LoadedFile {
  entry: ManifestEntry;
  bodies: Partial<Record<"identity" | "br" | "gzip", Buffer>>;
}

/** A build as loaded into memory: its manifest, and each file's bytes in every encoding it has. */
export interface ConsoleFiles {
  manifest: ConsoleManifest;
  files: Map<string, LoadedFile>;
}

/** Reads the manifest and every file it names (tens of kilobytes); undefined when there is no build. */
export function loadConsoleFiles(dist: string = DEFAULT_DIST): ConsoleFiles | undefined {
  const manifestPath = join(dist, MANIFEST_FILE);
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ConsoleManifest;
  const files = new Map<string, LoadedFile>();
  for (const [path, entry] of Object.entries(manifest.files)) {
    const bodies: LoadedFile["bodies"] = { identity: readFileSync(join(dist, path)) };
    if (entry.encodings.includes("br")) bodies.br = readFileSync(join(dist, `${path}.br`));
    if (entry.encodings.includes("gzip")) bodies.gzip = readFileSync(join(dist, `${path}.gz`));
    files.set(path, { entry, bodies });
  }
  return { manifest, files };
}

/** The encoding to answer with: the best precompressed one the client accepts (q > 0), else none. */
export function chooseEncoding(
  acceptEncoding: string | undefined,
  available: readonly ("br" | "gzip")[],
): "br" | "gzip" | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const wildcard = accepted.get("*");
  return available.find((encoding) => (accepted.get(encoding) ?? wildcard ?? 0) > 0);
}

/** Does `if-none-match` name this ETag (or `*`)? Weak comparison, as RFC 9110 asks for it. */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === "*" || tag === bare);
}

type Result = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

function errorResult(status: 404 | 503, body: unknown): Result {
  return {
    statusCode: status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...CONSOLE_SECURITY_HEADERS,
    },
    body: JSON.stringify(body),
  };
}

/**
 * Which built file a request names: `GET /console` and `GET /console/` are the page, and
 * `GET /console/assets/{asset}` an asset (the path parameter, as API Gateway decoded it).
 */
export function requestedFile(event: APIGatewayProxyEventV2): string | undefined {
  const asset = event.pathParameters?.asset;
  if (asset !== undefined) return `assets/${asset}`;
  return /^\/console\/?$/.test(event.rawPath) ? "index.html" : undefined;
}

/**
 * The answer to one request, from `loaded` (undefined: no build, 503). HEAD is answered as GET
 * would be, with the GET's status and headers (its length included) and no body.
 */
export function answerConsoleRequest(
  event: APIGatewayProxyEventV2,
  loaded: ConsoleFiles | undefined,
): Result {
  if (event.requestContext?.http?.method !== "HEAD") return answerGet(event, loaded);
  const asGet = {
    ...event,
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: "GET" } },
  };
  const answer = answerGet(asGet, loaded);
  const length = Buffer.byteLength(answer.body ?? "", answer.isBase64Encoded ? "base64" : "utf8");
  return {
    statusCode: answer.statusCode,
    headers: { ...answer.headers, "content-length": String(length) },
    body: "",
  };
}

function answerGet(event: APIGatewayProxyEventV2, loaded: ConsoleFiles | undefined): Result {
  const requestId = event.requestContext?.requestId;
  const method = event.requestContext?.http?.method ?? "GET";
  if (!loaded) {
    return errorResult(
      503,
      graphErrors
        .upstreamUnavailable(503, "the console is not built: run npm run console:build")
        .toBody(requestId),
    );
  }
  const path = requestedFile(event);
  const file = path === undefined ? undefined : loaded.files.get(path);
  if (!file || method !== "GET") {
    // Bounded: the path is the client's, echoed only to help find the typo.
    return errorResult(404, graphErrors.notFound(method, event.rawPath.slice(0, 200)).toBody(requestId));
  }
  const { entry, bodies } = file;
  const headers: Record<string, string> = {
    "content-type": entry.type,
    etag: entry.etag,
    "cache-control": entry.immutable ? IMMUTABLE_CACHE : REVALIDATE_CACHE,
    vary: "accept-encoding",
    ...CONSOLE_SECURITY_HEADERS,
  };
  if (matches(event.headers?.["if-none-match"], entry.etag)) return { statusCode: 304, headers, body: "" };
  const encoding = chooseEncoding(event.headers?.["accept-encoding"], entry.encodings);
  const body = (encoding ? bodies[encoding] : undefined) ?? (bodies.identity as Buffer);
  if (encoding && bodies[encoding]) headers["content-encoding"] = encoding;
  return { statusCode: 200, headers, body: body.toString("base64"), isBase64Encoded: true };
}

/**
 * A Lambda handler over the build in `dist`. The files are read on the first request and kept
 * (a warm container answers from memory); a missing build is looked for again on the next one.
 */
export function consoleHandler(dist: string = DEFAULT_DIST) {
  let loaded: ConsoleFiles | undefined;
  return async (event: APIGatewayProxyEventV2): Promise<Result> => {
    loaded ??= loadConsoleFiles(dist);
    return answerConsoleRequest(event, loaded);
  };
}
