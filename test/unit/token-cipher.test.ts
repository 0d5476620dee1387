/**
 * Meta access tokens at rest: AES-256-GCM with the phone number id as additional data. A sealed
 * token round-trips, opens only for its own number and key, fails on any tampering, and never
 * shows the token in any form.
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptToken, encryptToken } from "../../functions/core/crypto/token-cipher.ts";

let savedKey: string | undefined;
const KEY = randomBytes(32).toString("base64");

beforeAll(() => {
  savedKey = process.env.TOKEN_ENCRYPTION_KEY;
  process.env.TOKEN_ENCRYPTION_KEY = KEY;
});
afterAll(() => {
  process.env.TOKEN_ENCRYPTION_KEY = savedKey;
});

const token = fc.stringMatching(/^EAA[A-Za-z0-9]{20,200}$/);
const anyToken = fc.oneof(token, fc.string({ unit: "grapheme", maxLength: 300 }));
const phoneId = fc.stringMatching(/^\d{1,20}$/);

/** Every way the token could leak into the stored text. */
function encodings(t: string): string[] {
  const bytes = Buffer.from(t, "utf8");
  return [t, bytes.toString("base64"), bytes.toString("base64url"), bytes.toString("hex")];
}

function part(sealed: string, index: number): Buffer {
  return Buffer.from(sealed.split(".")[index] ?? "", "base64url");
}

function withPart(sealed: string, index: number, bytes: Buffer): string {
  const parts = sealed.split(".");
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("token cipher", () => {
  it("round-trips any token for its own phone number", () => {
    fc.assert(
      fc.property(anyToken, phoneId, (t, id) => {
        expect(decryptToken(encryptToken(t, id), id)).toBe(t);
      }),
      { numRuns: 500 },
    );
  });

  it("never contains the token, in clear or encoded", () => {
    fc.assert(
      fc.property(token, phoneId, (t, id) => {
        const sealed = encryptToken(t, id);
        for (const leaked of encodings(t)) expect(sealed).not.toContain(leaked);
        expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/);
      }),
      { numRuns: 500 },
    );
  });

  it("uses a fresh IV every time: the same token sealed twice differs", () => {
    const sealedA = encryptToken("EAAGsametoken0123456789", "123");
    const sealedB = encryptToken("EAAGsametoken0123456789", "123");
    expect(sealedA).not.toBe(sealedB);
    expect(part(sealedA, 1)).toHaveLength(12);
    expect(part(sealedA, 1).equals(part(sealedB, 1))).toBe(false);
  });

  it("binds the ciphertext to the phone number id (a copied ciphertext does not open)", () => {
    fc.assert(
      fc.property(token, phoneId, phoneId, (t, id, otherId) => {
        fc.pre(id !== otherId);
        expect(() => decryptToken(encryptToken(t, id), otherId)).toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it("fails on any single flipped bit in the IV, the tag or the ciphertext", () => {
    fc.assert(
      fc.property(token, phoneId, fc.constantFrom(1, 2, 3), fc.nat(), fc.nat(7), (t, id, index, at, bit) => {
        const sealed = encryptToken(t, id);
        const bytes = Buffer.from(part(sealed, index));
        const i = at % bytes.length;
        bytes[i] = (bytes[i] ?? 0) ^ (1 << bit);
        expect(() => decryptToken(withPart(sealed, index, bytes), id)).toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it("fails on a truncated tag or ciphertext, a missing part, or an unknown format", () => {
    const sealed = encryptToken("EAAGtruncated0123456789", "42");
    const tag = part(sealed, 2);
    const ciphertext = part(sealed, 3);
    const broken = [
      // GCM would accept a tag cut to 4..15 bytes unless the full length is demanded.
      ...[15, 12, 8, 4].map((length) => withPart(sealed, 2, tag.subarray(0, length))),
      withPart(sealed, 3, ciphertext.subarray(0, ciphertext.length - 1)),
      sealed.split(".").slice(0, 3).join("."),
      sealed.replace(/^v1\./, "v2."),
      "",
      "EAAGtruncated0123456789",
    ];
    for (const candidate of broken) expect(() => decryptToken(candidate, "42")).toThrow();
  });

  it("does not open under another key, and refuses a key that is not 32 bytes", () => {
    const sealed = encryptToken("EAAGotherkey0123456789", "7");
    try {
      process.env.TOKEN_ENCRYPTION_KEY = randomBytes(32).toString("base64");
      expect(() => decryptToken(sealed, "7")).toThrow();
      process.env.TOKEN_ENCRYPTION_KEY = randomBytes(16).toString("base64");
      expect(() => encryptToken("EAAGotherkey0123456789", "7")).toThrow(/32 random bytes/);
    } finally {
      process.env.TOKEN_ENCRYPTION_KEY = KEY;
    }
    expect(decryptToken(sealed, "7")).toBe("EAAGotherkey0123456789");
  });

  it("never puts the token or the key in an error message", () => {
    const t = "EAAGsecretinerror0123456789";
    const sealed = encryptToken(t, "99");
    const messages: string[] = [];
    for (const attempt of [
      () => decryptToken(sealed, "100"),
      () => decryptToken(sealed.replace(/^v1/, "v0"), "99"),
    ]) {
      try {
        attempt();
      } catch (error) {
        messages.push(String((error as Error).message) + String((error as Error).stack));
      }
    }
    expect(messages).toHaveLength(2);
    for (const message of messages) {
      for (const leaked of [...encodings(t), KEY]) expect(message).not.toContain(leaked);
    }
  });
});
