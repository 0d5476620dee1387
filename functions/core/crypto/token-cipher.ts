/**
 * Meta access tokens at rest: AES-256-GCM under the configured key (an SST secret in AWS),
 * a fresh 96-bit IV per encryption, and the phone number id as additional authenticated data
 * so a ciphertext copied onto another number's record does not decrypt.
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 * Rotation: a second, previous key may be configured; it decrypts, never encrypts, until
 * `phone reencrypt-tokens` has re-sealed every token under the current key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { config } from "../config.ts";

const VERSION = "v1";

const keys = new Map<string, Buffer>();

function keyFrom(source: string): Buffer {
  const cached = keys.get(source);
  if (cached) return cached;
  const key = Buffer.from(source, "base64");
  if (key.length !== 32) {
    throw new Error(
      "a token encryption key must be 32 random bytes, base64-encoded (openssl rand -base64 32)",
    );
  }
  keys.set(source, key);
  return key;
}

function currentKey(): Buffer {
  return keyFrom(config.tokenEncryptionKey());
}

/** The keys a stored token may be sealed under: the current one first, then one being rotated out. */
function decryptionKeys(): Buffer[] {
  const previous = config.previousTokenEncryptionKey();
  return previous ? [currentKey(), keyFrom(previous)] : [currentKey()];
}

export function encryptToken(token: string, phoneNumberId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", currentKey(), iv);
  cipher.setAAD(Buffer.from(phoneNumberId));
  const ciphertext = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export function decryptToken(sealed: string, phoneNumberId: string): string {
  return open(sealed, phoneNumberId, decryptionKeys());
}

/** True when the token is sealed under the current key (nothing to re-encrypt). */
export function sealedUnderCurrentKey(sealed: string, phoneNumberId: string): boolean {
  try {
    open(sealed, phoneNumberId, [currentKey()]);
    return true;
  } catch {
    return false;
  }
}

function open(sealed: string, phoneNumberId: string, candidates: Buffer[]): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
    throw new Error("stored access token is not in a known format");
  }
  for (const key of candidates) {
    // The full 128-bit tag only: without authTagLength, Node accepts a tag truncated to 4 bytes,
    // so a stored ciphertext with a shortened tag would still open (and forging gets far easier).
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"), {
      authTagLength: 16,
    });
    decipher.setAAD(Buffer.from(phoneNumberId));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, "base64url")),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      // Not this key (GCM authentication failed): try the next one.
    }
  }
  throw new Error("stored access token does not decrypt under the configured key(s)");
}
