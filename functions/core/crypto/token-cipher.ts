/**
 * Meta access tokens at rest: AES-256-GCM under the configured key (an SST secret in AWS),
 * a fresh 96-bit IV per encryption, and the phone number id as additional authenticated data
 * so a ciphertext copied onto another number's record does not decrypt.
 * Format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { config } from "../config.ts";

const VERSION = "v1";

let cachedKey: { source: string; key: Buffer } | undefined;

function encryptionKey(): Buffer {
  const source = config.tokenEncryptionKey();
  if (cachedKey?.source === source) return cachedKey.key;
  const key = Buffer.from(source, "base64");
  if (key.length !== 32) {
    throw new Error("TOKEN_ENCRYPTION_KEY must be 32 random bytes, base64-encoded (openssl rand -base64 32)");
  }
  cachedKey = { source, key };
  return key;
}

export function encryptToken(token: string, phoneNumberId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey(), iv);
  cipher.setAAD(Buffer.from(phoneNumberId));
  const ciphertext = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext]
    .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
    .join(".");
}

export function decryptToken(sealed: string, phoneNumberId: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
    throw new Error("stored access token is not in a known format");
  }
  // The full 128-bit tag only: without authTagLength, Node accepts a tag truncated to 4 bytes,
  // so a stored ciphertext with a shortened tag would still open (and forging gets far easier).
  const decipher = createDecipheriv("aes-256-gcm", encryptionKey(), Buffer.from(iv, "base64url"), {
    authTagLength: 16,
  });
  decipher.setAAD(Buffer.from(phoneNumberId));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString(
    "utf8",
  );
}
