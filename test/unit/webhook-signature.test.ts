import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isValidSignature } from "../../functions/core/meta-webhook/signature.ts";

const SECRET = "test_app_secret_0123456789abcdef";

/** Known answers computed with `openssl dgst -sha256 -hmac <secret>` over the exact bytes. */
const VECTORS = [
  {
    name: "Meta's documented payload shape",
    body: '{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1731600000,"changes":[{"field":"business_username_updates","value":{"display_phone_number":"15550783881","username":"lucky_shrub","status":"approved"}}]}]}',
    hex: "17a1d9b7255d9bd161448512de5e4251bdb288fe82303dee8d15e45eba80399d",
  },
  {
    name: "escaped unicode, raw non-ASCII, emoji and escaped slashes (bytes, not re-serialised JSON)",
    body: String.raw`{"object":"whatsapp_business_account","entry":[{"id":"1","time":1,"changes":[{"field":"business_username_updates","value":{"display_phone_number":"15550783881","username":"caf\u00e9_\ud83c\udf35","status":"approved","note":"ñandú 🌵 a\/b"}}]}]}`,
    hex: "cba6dc05a931e759b5c085e022f5b9a7b4c5a930745906dc46d44ddc5cb7d24a",
  },
  {
    name: "plain UTF-8 text",
    body: String.raw`ñandú 🌵 {"a":"b\/c"}`,
    hex: "e64bc0d45e3945a19bfc013fd0c207ad8325b9c79d48d6309e7b79aa14b75080",
  },
];

describe("X-Hub-Signature-256", () => {
  for (const vector of VECTORS) {
    it(`accepts the known answer for ${vector.name}`, () => {
      const body = Buffer.from(vector.body, "utf8");
      expect(isValidSignature(body, `sha256=${vector.hex}`, [SECRET])).toBe(true);
      expect(isValidSignature(body, `sha256=${vector.hex.toUpperCase()}`, [SECRET])).toBe(true);
      // Re-serialising the parsed JSON would change the bytes: the signature must not match then.
      if (vector.body.startsWith("{")) {
        const reserialised = Buffer.from(JSON.stringify(JSON.parse(vector.body)));
        expect(
          reserialised.equals(body) || !isValidSignature(reserialised, `sha256=${vector.hex}`, [SECRET]),
        ).toBe(true);
      }
    });
  }

  it("matches the RFC 4231-style reference for 'key' / fox", () => {
    const body = Buffer.from("The quick brown fox jumps over the lazy dog");
    expect(
      isValidSignature(body, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", [
        "key",
      ]),
    ).toBe(true);
  });

  const body = Buffer.from(VECTORS[0]?.body ?? "");
  const good = `sha256=${VECTORS[0]?.hex}`;

  it.each([
    ["missing", undefined],
    ["empty", ""],
    ["no prefix", VECTORS[0]?.hex],
    ["sha1 prefix", `sha1=${VECTORS[0]?.hex}`],
    ["too short", good.slice(0, -2)],
    ["too long", `${good}00`],
    ["non-hex", `sha256=${"z".repeat(64)}`],
    ["one digit wrong", good.replace(/.$/, (c) => (c === "0" ? "1" : "0"))],
    ["whitespace inside", `sha256= ${VECTORS[0]?.hex}`],
    ["huge", `sha256=${"a".repeat(100_000)}`],
    ["repeated, both wrong", `sha256=${"0".repeat(64)}, sha256=${"1".repeat(64)}`],
  ])("rejects a %s header without throwing", (_, header) => {
    expect(isValidSignature(body, header as string | undefined, [SECRET])).toBe(false);
  });

  it("accepts a repeated header when one value is right (API Gateway joins repeats with commas)", () => {
    expect(isValidSignature(body, `sha256=${"0".repeat(64)},${good}`, [SECRET])).toBe(true);
  });

  it("accepts either of two configured secrets (rotation) and nothing signed with a third", () => {
    const sign = (secret: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
    expect(isValidSignature(body, sign("old"), ["new", "old"])).toBe(true);
    expect(isValidSignature(body, sign("new"), ["new", "old"])).toBe(true);
    expect(isValidSignature(body, sign("other"), ["new", "old"])).toBe(false);
  });

  it("never throws and only accepts the true HMAC, for arbitrary bodies and headers", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 512 }),
        fc.string(),
        fc.string({ minLength: 1 }),
        (bytes, header, secret) => {
          const raw = Buffer.from(bytes);
          const truth = `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;
          expect(isValidSignature(raw, truth, [secret])).toBe(true);
          expect(isValidSignature(raw, header, [secret])).toBe(header.trim().toLowerCase() === truth);
        },
      ),
      { numRuns: 500 },
    );
  });
});
