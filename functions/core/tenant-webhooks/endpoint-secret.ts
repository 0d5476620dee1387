/**
 * Endpoint signing secrets at rest: sealed with the same AES-256-GCM key as Meta access tokens
 * (core/crypto/token-cipher.ts, rotation included), the endpoint id as associated data so a
 * sealed secret copied onto another endpoint does not open.
 */
import { decryptToken, encryptToken, sealedUnderCurrentKey } from "../crypto/token-cipher.ts";

const associatedData = (endpointId: string) => `webhook-endpoint:${endpointId}`;

export function sealEndpointSecret(secret: string, endpointId: string): string {
  return encryptToken(secret, associatedData(endpointId));
}

export function openEndpointSecret(sealed: string, endpointId: string): string {
  return decryptToken(sealed, associatedData(endpointId));
}

/** True when the secret is sealed under the current key (nothing to re-seal after a key rotation). */
export function endpointSecretUnderCurrentKey(sealed: string, endpointId: string): boolean {
  return sealedUnderCurrentKey(sealed, associatedData(endpointId));
}
