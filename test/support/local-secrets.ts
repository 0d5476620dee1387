/**
 * Fresh values for the secrets `npm start` would otherwise generate into .data/: given to a
 * local stack through its environment, so a test never reads or writes a developer's .data/.
 */
import { randomBytes } from "node:crypto";

export function randomLocalSecrets() {
  return {
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    META_APP_SECRET: randomBytes(16).toString("hex"),
    META_VERIFY_TOKEN: randomBytes(16).toString("hex"),
  };
}
