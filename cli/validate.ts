/** Checks of operator input; each failure is a usage error (exit 2) naming the flag. */
import { looksSecret, shown, UsageError } from "./errors.ts";

const ID_DIGITS = /^\d{1,20}$/;
/** Meta's ids have no leading zero: `0200…` and `200…` would otherwise be two records of one id. */
const META_ID = /^[1-9]\d{0,19}$/;
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Formatting people type in phone numbers: `+1 (555) 078-3881`. */
const PHONE_FORMATTING = /[\s+().-]/g;

/** A Meta id (phone number, WABA, business portfolio): 1 to 20 digits, no leading zero. */
export function metaId(value: string, what: string, command: string): string {
  if (!META_ID.test(value)) {
    throw new UsageError(`${what} must be 1 to 20 digits without a leading zero, got '${value}'`, command);
  }
  return value;
}

/** Digits only, as Meta sends `display_phone_number` in webhooks; formatting characters are dropped. */
export function displayPhoneNumber(value: string, command: string): string {
  const digits = value.replace(PHONE_FORMATTING, "");
  if (!ID_DIGITS.test(digits)) {
    throw new UsageError(
      `--display-phone-number must be a phone number of 1 to 20 digits, got '${value}'`,
      command,
    );
  }
  return digits;
}

export function tenantId(value: string, command: string): string {
  // A key or secret pasted in the wrong place would otherwise become a tenant id, stored and
  // printed in every listing.
  if (looksSecret(value)) {
    throw new UsageError(
      `--tenant got ${shown(value)}, shaped like a secret (an API key, a webhook secret, a token): not taken as a tenant id`,
      command,
    );
  }
  if (!TENANT_ID.test(value)) {
    throw new UsageError(
      `--tenant must be 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got ${shown(value)}`,
      command,
    );
  }
  return value;
}

export function label(value: string, command: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (value.trim() === "" || value.length > 100 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new UsageError("--name must be 1 to 100 printable characters", command);
  }
  return value;
}

const MAX_TOKEN_LENGTH = 4096;

/** A Meta access token: one line, no spaces (a pasted second line is a mistake, not part of it). */
export function accessToken(raw: string, command: string): string {
  const token = raw.trim();
  if (token === "") throw new UsageError("the access token is empty", command);
  if (/\s/.test(token) || token.length > MAX_TOKEN_LENGTH) {
    throw new UsageError(
      `the access token must be one line without spaces, at most ${MAX_TOKEN_LENGTH} characters`,
      command,
    );
  }
  return token;
}
