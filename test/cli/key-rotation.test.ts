/**
 * Rotating TokenEncryptionKey without downtime: with the old key configured as the previous one,
 * every stored token still decrypts; `phone reencrypt-tokens` re-seals them under the new key,
 * after which the previous key can go.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerPhone } from "../../functions/core/admin/numbers.ts";
import {
  decryptToken,
  encryptToken,
  sealedUnderCurrentKey,
} from "../../functions/core/crypto/token-cipher.ts";
import { dynamo, setDynamoClient } from "../../functions/core/store/client.ts";
import { getPhone, setPhoneToken } from "../../functions/core/store/phones.ts";
import { admin } from "../support/admin-cli.ts";
import { useTestTable } from "../support/test-table.ts";
import { uniqueDigits } from "../support/world.ts";

const OLD_KEY = randomBytes(32).toString("base64");
const NEW_KEY = randomBytes(32).toString("base64");

function useKeys(current: string, previous?: string): void {
  process.env.TOKEN_ENCRYPTION_KEY = current;
  if (previous) process.env.TOKEN_ENCRYPTION_KEY_PREVIOUS = previous;
  else delete process.env.TOKEN_ENCRYPTION_KEY_PREVIOUS;
}

beforeAll(async () => {
  await useTestTable();
});
afterAll(() => {
  delete process.env.TOKEN_ENCRYPTION_KEY_PREVIOUS;
  dynamo().destroy();
  setDynamoClient(undefined);
});

describe("token cipher with a previous key", () => {
  it("opens tokens sealed under either key, and always seals under the current one", () => {
    useKeys(OLD_KEY);
    const underOld = encryptToken("EAAold", "111");
    useKeys(NEW_KEY);
    expect(() => decryptToken(underOld, "111")).toThrow(/neither|configured key/);
    useKeys(NEW_KEY, OLD_KEY);
    expect(decryptToken(underOld, "111")).toBe("EAAold");
    expect(sealedUnderCurrentKey(underOld, "111")).toBe(false);
    const fresh = encryptToken("EAAnew", "111");
    expect(sealedUnderCurrentKey(fresh, "111")).toBe(true);
    useKeys(NEW_KEY);
    expect(decryptToken(fresh, "111")).toBe("EAAnew");
  });
});

describe("phone reencrypt-tokens", () => {
  it("re-seals every token under the new key, is idempotent, and reports tokens it cannot open", async () => {
    useKeys(OLD_KEY);
    const tenantId = `rotate-${randomBytes(3).toString("hex")}`;
    const phones = Array.from({ length: 3 }, () => ({
      id: uniqueDigits(15),
      token: `EAA${randomBytes(12).toString("hex")}`,
    }));
    for (const phone of phones) {
      await registerPhone({
        tenantId,
        phoneNumberId: phone.id,
        wabaId: uniqueDigits(15),
        businessId: uniqueDigits(15),
        displayPhoneNumber: `1555${uniqueDigits(7)}`,
        accessToken: phone.token,
      });
    }

    // Deploy step: the new key is current, the old one previous. Everything still decrypts.
    useKeys(NEW_KEY, OLD_KEY);
    for (const phone of phones) {
      const stored = await getPhone(phone.id, true);
      expect(decryptToken(stored?.accessTokenEncrypted ?? "", phone.id)).toBe(phone.token);
    }

    const first = await admin(["phone", "reencrypt-tokens", "--json"]);
    expect(first.code).toBe(0);
    expect(new Set(first.json.reencrypted)).toEqual(new Set(phones.map((p) => p.id)));

    // The previous key can go now: every token opens under the new key alone, unchanged.
    useKeys(NEW_KEY);
    for (const phone of phones) {
      const stored = await getPhone(phone.id, true);
      expect(decryptToken(stored?.accessTokenEncrypted ?? "", phone.id)).toBe(phone.token);
    }
    const again = await admin(["phone", "reencrypt-tokens", "--json"]);
    expect(again.code).toBe(0);
    expect(again.json.reencrypted).toEqual([]);

    // A token sealed under a key nobody configured any more cannot be recovered: exit 1, named.
    const lostKey = randomBytes(32).toString("base64");
    useKeys(lostKey);
    const orphan = encryptToken("EAAlost", phones[0]?.id ?? "");
    await setPhoneToken(phones[0]?.id ?? "", orphan);
    useKeys(NEW_KEY);
    const failing = await admin(["phone", "reencrypt-tokens", "--json"]);
    expect(failing.code).toBe(1);
    expect(failing.json.error.message).toContain(phones[0]?.id);
    expect(failing.stdout).not.toContain("EAAlost");
  });
});
