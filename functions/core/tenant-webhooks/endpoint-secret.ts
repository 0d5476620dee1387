/**
 * Endpoint signing secrets at rest: sealed with the same AES-256-GCM key as Meta access tokens
 * (core/crypto/token-cipher.ts, rotation included), the endpoint id as associated data so a
 * sealed secret copied onto another endpoint does not open. A rotation with an overlap keeps the
 * previous secret, sealed the same way, until `previousSecretExpiresAt`: until then every
 * attempt is signed with both (signingSecrets).
 */
import { decryptToken, encryptToken, sealedUnderCurrentKey } from "../crypto/token-cipher.ts";
import type { WebhookEndpoint } from "../store/webhook-endpoints.ts";

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

/** True while the endpoint's previous secret still signs, at `now` (epoch ms). */
export function previousSecretActive(
  endpoint: Pick<WebhookEndpoint, "previousSecretSealed" | "previousSecretExpiresAt">,
  now: number,
): boolean {
  return (
    endpoint.previousSecretSealed !== undefined &&
    endpoint.previousSecretExpiresAt !== undefined &&
    Date.parse(endpoint.previousSecretExpiresAt) > now
  );
}

/**
 * The secrets an attempt at `now` (epoch ms) is signed with: the current one, then the previous
 * one while its overlap lasts. Throws when a sealed secret does not open (wrong key).
 */
export function signingSecrets(
  endpoint: Pick<WebhookEndpoint, "id" | "secretSealed" | "previousSecretSealed" | "previousSecretExpiresAt">,
  now: number,
): string[] {
  const secrets = [openEndpointSecret(endpoint.secretSealed, endpoint.id)];
  if (previousSecretActive(endpoint, now)) {
    secrets.push(openEndpointSecret(endpoint.previousSecretSealed as string, endpoint.id));
  }
  return secrets;
}
