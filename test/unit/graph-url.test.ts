/**
 * graphUrl: whatever the (validated) version and phone number id, the upstream URL stays on the
 * configured origin with the shape <base path>/<version>/<id>/<edge>; unvalidated segments throw.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GraphEdge, graphUrl } from "../../functions/core/graph/client.ts";

let savedUrl: string | undefined;
beforeAll(() => {
  savedUrl = process.env.META_GRAPH_URL;
});
afterAll(() => {
  process.env.META_GRAPH_URL = savedUrl;
});

// Configured base URL → the prefix every upstream URL must start with.
const BASES: Array<[string, string]> = [
  ["https://graph.facebook.com", "https://graph.facebook.com"],
  ["https://graph.facebook.com/", "https://graph.facebook.com"],
  ["http://127.0.0.1:4567", "http://127.0.0.1:4567"],
  ["https://proxy.example.com/meta/graph", "https://proxy.example.com/meta/graph"],
  ["https://proxy.example.com/meta/graph///", "https://proxy.example.com/meta/graph"],
  ["http://[::1]:8080/base", "http://[::1]:8080/base"],
];

const base = fc.constantFrom(...BASES);
const edge = fc.constantFrom<GraphEdge>("username", "username_suggestions");
const validVersion = fc.stringMatching(/^v\d{1,3}\.\d{1,3}$/);
const validId = fc.stringMatching(/^\d{1,20}$/);

/** Independent statement of the path rules, written without the service's patterns. */
function isAsciiDigits(s: string, min: number, max: number): boolean {
  return s.length >= min && s.length <= max && s.split("").every((c) => c >= "0" && c <= "9");
}
function versionIsValid(v: string): boolean {
  if (!v.startsWith("v")) return false;
  const parts = v.slice(1).split(".");
  return parts.length === 2 && parts.every((p) => isAsciiDigits(p, 1, 3));
}
const idIsValid = (id: string) => isAsciiDigits(id, 1, 20);

// Strings that try to leave the path or the host, or look like digits without being them.
const HOSTILE = [
  "v24.0/../x",
  "../../evil.example",
  "//evil.example",
  "@evil.example",
  "1@evil.example",
  "v24.0?access_token=x",
  "v24.0#x",
  "123/../../x",
  "%2e%2e",
  "123%2F..",
  "１２３",
  "١٢٣",
  "123\n",
  "v24.0\n",
  " v24.0",
  "V24.0",
  "v24",
  "24.0",
  "",
  "v24.0.1",
  "v1234.0",
  "123456789012345678901",
  "http://evil.example",
  "\\\\evil.example",
];

describe("graphUrl", () => {
  it("keeps the configured origin and the path shape for every validated version and id", () => {
    fc.assert(
      fc.property(base, validVersion, validId, edge, ([configured, prefix], version, id, e) => {
        process.env.META_GRAPH_URL = configured;
        const url = graphUrl({ version, phoneNumberId: id, edge: e });
        expect(url.href).toBe(`${prefix}/${version}/${id}/${e}`);
        expect(url.origin).toBe(new URL(configured).origin);
        expect(url.search).toBe("");
        expect(url.hash).toBe("");
        expect(url.username).toBe("");
      }),
      { numRuns: 1_000 },
    );
  });

  it("throws for any version or id that is not validated", () => {
    process.env.META_GRAPH_URL = "https://graph.facebook.com";
    const segment = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom(...HOSTILE));
    fc.assert(
      fc.property(segment, segment, edge, (version, id, e) => {
        fc.pre(!versionIsValid(version) || !idIsValid(id));
        expect(() => graphUrl({ version, phoneNumberId: id, edge: e })).toThrow();
      }),
      { numRuns: 2_000 },
    );
  });

  it.each(HOSTILE)("throws for %j as the version or as the id", (hostile) => {
    process.env.META_GRAPH_URL = "https://graph.facebook.com";
    expect(() => graphUrl({ version: hostile, phoneNumberId: "123", edge: "username" })).toThrow();
    expect(() => graphUrl({ version: "v24.0", phoneNumberId: hostile, edge: "username" })).toThrow();
  });

  it("for any input at all: either it throws, or the URL is on the origin with exactly those segments", () => {
    fc.assert(
      fc.property(
        base,
        fc.oneof(validVersion, fc.string()),
        fc.oneof(validId, fc.string()),
        edge,
        (b, v, id, e) => {
          const [configured, prefix] = b;
          process.env.META_GRAPH_URL = configured;
          let url: URL;
          try {
            url = graphUrl({ version: v, phoneNumberId: id, edge: e });
          } catch {
            return;
          }
          expect(versionIsValid(v) && idIsValid(id)).toBe(true);
          expect(url.href).toBe(`${prefix}/${v}/${id}/${e}`);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
