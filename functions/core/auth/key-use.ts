/**
 * When an API key was last used (`last_used_time` in `GET /v1/api_keys`, LAST USED in
 * `wau-admin key list`), kept cheap: authentication calls `noteApiKeyUse` when it admits a key
 * (a read of the key, at most once per API_KEY_CACHE_TTL_MS per key and container), and a
 * container writes a key's use at most once per `API_KEY_USE_PERIOD_SECONDS` (default 300):
 * one conditional UpdateItem of the key's tenant entry, which also skips the write when another
 * container recorded a use within the period. So the recorded time is at most one period behind
 * the real last use, and a busy key costs about one write per period per container, never one
 * per request.
 *
 * The write is not awaited: it never delays or fails a request (a failure is logged at debug
 * level and tried again after the period). Lambda may freeze the container before it is sent,
 * in which case that use is recorded by a later one.
 */
import { config } from "../config.ts";
import { logger } from "../logger.ts";
import { recordApiKeyUse } from "../store/api-keys.ts";

/** Key id → epoch ms of the last use this container recorded (or tried to). */
const noted = new Map<string, number>();
const NOTED_LIMIT = 1_000;

/**
 * Records the caller's key as used now, unless this container did within the period (or the
 * period is 0: recording off). Returns at once; never throws.
 */
export function noteApiKeyUse(caller: { tenantId: string; keyId: string }, now: number = Date.now()): void {
  let periodMs: number;
  try {
    periodMs = config.apiKeyUsePeriodSeconds() * 1000;
  } catch {
    return; // A misconfigured period turns recording off; it never fails a request.
  }
  if (periodMs <= 0) return;
  const last = noted.get(caller.keyId);
  if (last !== undefined && now - last < periodMs) return;
  if (!noted.has(caller.keyId) && noted.size >= NOTED_LIMIT)
    noted.delete(noted.keys().next().value as string);
  noted.set(caller.keyId, now);
  recordApiKeyUse(
    caller.tenantId,
    caller.keyId,
    new Date(now).toISOString(),
    new Date(now - periodMs).toISOString(),
  ).catch((error: unknown) => {
    logger.debug("API key use not recorded", { keyId: caller.keyId, errorName: (error as Error)?.name });
  });
}
