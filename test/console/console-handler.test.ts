/**
 * The console's function (functions/console/): the page and its files from the build, with the
 * console's security and cache headers, compression, revalidation, and nothing else: any other
 * path is a Graph-style 404, whatever it holds. Driven with API Gateway events, and over HTTP
 * through the local gateway (infra/routes.ts), `/console/` included.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_DIST, readManifest } from "../../console/build.ts";
import { type LocalGateway, startLocalGateway } from "../../dev/local-gateway.ts";
import {
  answerConsoleRequest,
  CONSOLE_SECURITY_HEADERS,
  type ConsoleFiles,
  chooseEncoding,
  consoleHandler,
  IMMUTABLE_CACHE,
  loadConsoleFiles,
} from "../../functions/console/console-assets.ts";
import { apiEvent } from "../support/lambda.ts";

let files: ConsoleFiles;
let gateway: LocalGateway;

beforeAll(async () => {
  // test/support/global-setup.ts built the console before the run.
  files = loadConsoleFiles() as ConsoleFiles;
  if (!files) throw new Error("no console build in console/dist");
  gateway = await startLocalGateway({ log: false });
});

afterAll(async () => {
  await gateway?.close();
});

const page = (headers: Record<string, string> = {}, rawPath = "/console/") => ({
  ...apiEvent({ method: "GET", routePath: "/console", headers }),
  rawPath,
});
const asset = (name: string, headers: Record<string, string> = {}) =>
  apiEvent({ method: "GET", routePath: "/console/assets/{asset}", pathParameters: { asset: name }, headers });

function assetNames(): string[] {
  return [...files.files.keys()].filter((f) => f.startsWith("assets/")).map((f) => f.slice("assets/".length));
}

describe("the console's function", () => {
  it("answers the page at /console and /console/ with a strict CSP, no-cache and a strong ETag", () => {
    for (const rawPath of ["/console", "/console/"]) {
      const answer = answerConsoleRequest(page({}, rawPath), files);
      expect(answer.statusCode, rawPath).toBe(200);
      expect(answer.headers).toMatchObject({
        ...CONSOLE_SECURITY_HEADERS,
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-cache",
        vary: "accept-encoding",
      });
      expect(answer.headers.etag).toMatch(/^"[\w-]{20,}"$/);
      expect(answer.headers["content-encoding"]).toBeUndefined();
      expect(Buffer.from(answer.body as string, "base64").toString()).toContain('<div id="app"></div>');
    }
    const csp = CONSOLE_SECURITY_HEADERS["content-security-policy"] as string;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "form-action 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe|data:|\*|https?:/);
  });

  it("sends the precompressed copy the browser accepts, and the same bytes once decoded", () => {
    const identity = Buffer.from(answerConsoleRequest(page(), files).body as string, "base64");
    const br = answerConsoleRequest(page({ "accept-encoding": "gzip, deflate, br" }), files);
    expect(br.headers["content-encoding"]).toBe("br");
    expect(brotliDecompressSync(Buffer.from(br.body as string, "base64"))).toEqual(identity);
    const gz = answerConsoleRequest(page({ "accept-encoding": "gzip;q=1, br;q=0" }), files);
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(Buffer.from(gz.body as string, "base64"))).toEqual(identity);
    expect(chooseEncoding("identity", ["br", "gzip"])).toBeUndefined();
    expect(chooseEncoding("*", ["br", "gzip"])).toBe("br");
    expect(chooseEncoding("*, br;q=0", ["br", "gzip"])).toBe("gzip");
  });

  it("answers 304 to a matching If-None-Match, with the validators and no body", () => {
    const { etag } = answerConsoleRequest(page(), files).headers;
    const answer = answerConsoleRequest(page({ "if-none-match": `W/${etag}, "other"` }), files);
    expect(answer.statusCode).toBe(304);
    expect(answer.body).toBe("");
    expect(answer.headers.etag).toBe(etag);
    expect(answerConsoleRequest(page({ "if-none-match": '"other"' }), files).statusCode).toBe(200);
  });

  it("serves each content-hashed file for a year, with its own type", () => {
    const names = assetNames();
    expect(names.some((n) => n.endsWith(".js"))).toBe(true);
    expect(names.some((n) => n.endsWith(".css"))).toBe(true);
    for (const name of names) {
      const answer = answerConsoleRequest(asset(name), files);
      expect(answer.statusCode, name).toBe(200);
      expect(answer.headers["cache-control"], name).toBe(IMMUTABLE_CACHE);
      expect(answer.headers["content-type"], name).toMatch(
        name.endsWith(".js") ? /^text\/javascript/ : name.endsWith(".css") ? /^text\/css/ : /^image\//,
      );
      expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    }
  });

  it("answers anything else with a Graph-style 404, never a file outside the build (property)", () => {
    const served = new Set(assetNames());
    const name = fc.oneof(
      fc.string(),
      fc.constantFrom("../console-manifest.json", "..%2Fconsole-manifest.json", "index.html", "", "."),
      fc.constantFrom(...served).map((n) => `${n}.br`),
      fc.constantFrom(...served).map((n) => `../${n}`),
    );
    fc.assert(
      fc.property(name, (candidate) => {
        const answer = answerConsoleRequest(asset(candidate), files);
        if (served.has(candidate)) return answer.statusCode === 200;
        expect(answer.statusCode).toBe(404);
        expect(answer.headers["cache-control"]).toBe("no-store");
        expect(answer.headers["content-security-policy"]).toBeDefined();
        expect(JSON.parse(answer.body as string).error).toMatchObject({ code: 100, type: "OAuthException" });
        return true;
      }),
    );
  });

  it("answers 503 without a build, and serves one as soon as it is there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wau-console-dist-"));
    try {
      const handler = consoleHandler(join(dir, "dist"));
      const missing = await handler(page());
      expect(missing.statusCode).toBe(503);
      expect(JSON.parse(missing.body as string).error).toMatchObject({ code: 2, is_transient: true });
      await cp(CONSOLE_DIST, join(dir, "dist"), { recursive: true });
      expect((await handler(page())).statusCode).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is served by the local gateway on the API's origin, /console/ included, and names the build it came from", async () => {
    for (const path of ["/console", "/console/"]) {
      const answer = await fetch(`${gateway.url}${path}`);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(answer.headers.get("access-control-allow-origin")).toBeNull();
      const html = await answer.text();
      for (const file of html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+)"/g)) {
        const linked = await fetch(`${gateway.url}/console/${file[1]}`);
        expect(linked.status, file[1]).toBe(200);
        expect(linked.headers.get("cache-control")).toBe(IMMUTABLE_CACHE);
      }
    }
    expect((await fetch(`${gateway.url}/console/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${gateway.url}/console/other`)).status).toBe(404);
    expect((await readManifest())?.inputs).toBe(files.manifest.inputs);
  });
});
