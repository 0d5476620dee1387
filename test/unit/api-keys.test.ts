/**
 * API keys: recognisable prefix, at least 128 random bits, only a stable SHA-256 stored,
 * constant-time hash comparison, and the two ways a request may present its key.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_PREFIX,
  generateApiKey,
  hashApiKey,
  looksLikeApiKey,
  presentedApiKey,
  sameHash,
} from "../../functions/core/auth/api-keys.ts";

const sha256Hex = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString("hex"));

describe("generateApiKey", () => {
  it("has a recognisable prefix and the documented format", () => {
    const { apiKey, id } = generateApiKey();
    expect(API_KEY_PREFIX).toBe("wau_");
    expect(apiKey.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(apiKey).toMatch(/^wau_[A-Za-z0-9_-]{32}$/);
    expect(looksLikeApiKey(apiKey)).toBe(true);
    expect(id).toMatch(/^key_[0-9a-f]{16}$/);
  });

  it("carries at least 128 random bits", () => {
    const { apiKey } = generateApiKey();
    const secret = Buffer.from(apiKey.slice(API_KEY_PREFIX.length), "base64url");
    expect(secret.length * 8).toBeGreaterThanOrEqual(128);
  });

  it("never repeats a key or an id, and uses the whole alphabet over many keys", () => {
    const keys = Array.from({ length: 2_000 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.apiKey)).size).toBe(keys.length);
    expect(new Set(keys.map((k) => k.id)).size).toBe(keys.length);
    const characters = new Set(keys.flatMap((k) => k.apiKey.slice(API_KEY_PREFIX.length).split("")));
    expect(characters.size).toBe(64);
  });
});

describe("looksLikeApiKey", () => {
  it.each([
    "",
    "wau_",
    "wau_short",
    `wau_${"a".repeat(31)}`,
    `wau_${"a".repeat(33)}`,
    `WAU_${"a".repeat(32)}`,
    `xyz_${"a".repeat(32)}`,
    `wau_${"a".repeat(31)}=`,
    `wau_${"a".repeat(31)}+`,
    ` wau_${"a".repeat(32)}`,
    `wau_${"a".repeat(32)}\n`,
  ])("refuses %j", (candidate) => {
    expect(looksLikeApiKey(candidate)).toBe(false);
  });
});

describe("hashApiKey", () => {
  it("is the SHA-256 hex digest: known vector, stable, 64 hex characters", () => {
    expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const { apiKey } = generateApiKey();
    expect(hashApiKey(apiKey)).toBe(hashApiKey(apiKey));
    expect(hashApiKey(apiKey)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(apiKey)).toBe(createHash("sha256").update(apiKey).digest("hex"));
  });

  it("differs for different keys and never contains the key", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(hashApiKey(a)).not.toBe(hashApiKey(b));
      }),
    );
    const { apiKey } = generateApiKey();
    expect(hashApiKey(apiKey)).not.toContain(apiKey.slice(API_KEY_PREFIX.length));
  });
});

describe("sameHash", () => {
  it("is true exactly when two digests are equal", () => {
    fc.assert(
      fc.property(sha256Hex, sha256Hex, (a, b) => {
        expect(sameHash(a, a)).toBe(true);
        expect(sameHash(a, b)).toBe(a === b);
      }),
    );
  });

  it("is false for digests differing in any one character", () => {
    fc.assert(
      fc.property(sha256Hex, fc.nat(63), (a, at) => {
        const flipped = a[at] === "0" ? "1" : "0";
        expect(sameHash(a, `${a.slice(0, at)}${flipped}${a.slice(at + 1)}`)).toBe(false);
      }),
    );
  });

  it.each([
    ["different lengths", "abcd", "abcdef"],
    ["empty", "", ""],
    ["one empty", "", "abcd"],
    ["odd length, last character differs", "abc", "abd"],
    ["not hex, same valid prefix", "abzz", "abyy"],
    ["not hex at all", "zzzz", "yyyy"],
  ])("is false for %s", (_what, a, b) => {
    expect(sameHash(a, b)).toBe(false);
  });
});

describe("presentedApiKey", () => {
  const key = `wau_${"k".repeat(32)}`;

  it.each<[string, Record<string, string | undefined>, string | undefined]>([
    ["X-API-Key", { "x-api-key": key }, key],
    ["X-API-Key with surrounding spaces", { "x-api-key": `  ${key}  ` }, key],
    ["Authorization: Bearer", { authorization: `Bearer ${key}` }, key],
    ["lower-case bearer scheme", { authorization: `bearer ${key}` }, key],
    ["Bearer with extra spaces", { authorization: `Bearer    ${key}  ` }, key],
    ["Authorization: OAuth (Graph's other scheme)", { authorization: `OAuth ${key}` }, key],
    ["OAuth without a token", { authorization: "OAuth " }, undefined],
    ["X-API-Key wins over Authorization", { "x-api-key": key, authorization: "Bearer other" }, key],
    ["an empty X-API-Key falls back to Bearer", { "x-api-key": "  ", authorization: `Bearer ${key}` }, key],
    ["no headers", {}, undefined],
    ["undefined values", { "x-api-key": undefined, authorization: undefined }, undefined],
    ["Basic scheme", { authorization: `Basic ${key}` }, undefined],
    ["Bearer without a token", { authorization: "Bearer " }, undefined],
    ["Bearer with two words", { authorization: `Bearer ${key} more` }, undefined],
    ["a bare key in Authorization", { authorization: key }, undefined],
    ["Bearer glued to the key", { authorization: `Bearer${key}` }, undefined],
  ])("%s", (_what, headers, expected) => {
    expect(presentedApiKey(headers)).toBe(expected);
  });
});

describe("presentedApiKey with the access_token parameter", () => {
  const key = `wau_${"k".repeat(32)}`;

  it.each<[string, Record<string, string | undefined>, string | undefined, string | undefined]>([
    ["access_token alone", {}, key, key],
    ["access_token with surrounding spaces", {}, `  ${key} `, key],
    ["X-API-Key wins over access_token", { "x-api-key": key }, "other", key],
    ["Bearer wins over access_token", { authorization: `Bearer ${key}` }, "other", key],
    ["an empty access_token is none", {}, "   ", undefined],
    ["a Basic header falls back to access_token", { authorization: "Basic abc" }, key, key],
  ])("%s", (_what, headers, accessToken, expected) => {
    expect(presentedApiKey(headers, accessToken)).toBe(expected);
  });
});
