/**
 * Defaults of the local runtime, shared by `npm start` and the admin CLI so both find the same
 * store and the same dev encryption key without any configuration. Environment variables
 * override each of them. Plain data: no imports beyond path resolution.
 */
import { fileURLToPath } from "node:url";

export const DEFAULT_TABLE_NAME = "whatsapp-usernames";
export const DEFAULT_DYNAMODB_PORT = 8000;
/** The local gateway's HTTP port. */
export const DEFAULT_PORT = 3000;
/**
 * The Meta sandbox's port: fixed, so the approve command printed at one start still works at the
 * next (META_SANDBOX_PORT changes it; 0 picks a free port).
 */
export const DEFAULT_SANDBOX_PORT = 4000;

/** How the admin CLI is run (package.json `bin`): what npm start's banner and the CLI's help print. */
export const ADMIN_COMMAND = "npx wau-admin";

/** Repository root, so paths below do not depend on the working directory. */
export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Git-ignored local state: DynamoDB Local's database file and the dev encryption key. */
export const DEV_DATA_DIR = fileURLToPath(new URL("../.data/", import.meta.url));

/**
 * The dev token encryption key (`TOKEN_ENCRYPTION_KEY` when unset): 32 random bytes,
 * base64, on one line. Generated once by `npm start`; read by the CLI when present.
 * Never used in AWS, where the key is an SST secret.
 */
export const DEV_ENCRYPTION_KEY_FILE = fileURLToPath(
  new URL("../.data/token-encryption-key", import.meta.url),
);
