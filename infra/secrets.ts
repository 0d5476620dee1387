/**
 * Secrets, set per stage with `npx sst secret set <Name> --stage <stage>`, the value pasted at SST's
 * prompt (docs/deploy.md, "1. Set the secrets").
 * Each is linked only to the functions that read it (infra/api.ts), which read it through
 * `Resource.<Name>.value` (functions/core/config.ts).
 */

/** HMAC key of Meta's webhook signatures (App Dashboard > App settings > Basic > App secret). */
export const metaAppSecret = new sst.Secret("MetaAppSecret");

/**
 * The app secret being rotated out, accepted alongside the current one while Meta switches over.
 * Optional: the empty placeholder lets a stage deploy without it, and config.ts ignores an empty
 * value, so only `MetaAppSecret` is checked until this one is set.
 */
export const metaAppSecretPrevious = new sst.Secret("MetaAppSecretPrevious", "");

/** The token Meta echoes when it verifies the webhook endpoint (GET). */
export const metaVerifyToken = new sst.Secret("MetaVerifyToken");

/** AES-256-GCM key of the stored Meta access tokens: 32 random bytes, base64 (`openssl rand -base64 32`). */
export const tokenEncryptionKey = new sst.Secret("TokenEncryptionKey");

/**
 * The encryption key being rotated out: decrypts tokens not yet re-sealed, never encrypts.
 * Optional like `MetaAppSecretPrevious` (empty placeholder, ignored by config.ts).
 */
export const tokenEncryptionKeyPrevious = new sst.Secret("TokenEncryptionKeyPrevious", "");

/**
 * Where alarms go (infra/alarms.ts): an email address subscribed to the stage's alarm topic. AWS
 * sends it a confirmation link first; alarms arrive once it is confirmed (docs/deploy.md,
 * "Alarms"). Required, like the Meta secrets: a stage whose alarms reach nobody is not deployed.
 * Linked to no function.
 */
export const alarmEmail = new sst.Secret("AlarmEmail");
