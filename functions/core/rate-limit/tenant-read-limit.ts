/**
 * Per-tenant limit on `/v1` reads, so one tenant paging in a loop cannot spend the capacity
 * every tenant shares (the functions, the table): a fixed window per tenant per minute,
 * `TENANT_READ_LIMIT_PER_MINUTE` (config.ts; per stage in infra/stage-settings.ts; 0 turns it
 * off), counted in DynamoDB like the tenant Meta limit (rate-limit/tenant-meta-limit.ts) but in
 * counters of its own (store/read-counters.ts). One conditional write per read, after the API key
 * and before the read itself; a refused read reads nothing. Over the limit: 429 code 4 with
 * `Retry-After` (seconds to the next window), `RateLimited` counted with `limit: "reads"`.
 * A fixed window lets a tenant read up to twice the limit across a minute boundary (accepted, as
 * for the Meta limit: docs/reliability.md, "Fair share").
 */
import { config } from "../config.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { logger } from "../logger.ts";
import { countMetric } from "../metrics.ts";
import { countRead } from "../store/read-counters.ts";

const WINDOW_MS = 60_000;
/** Counters outlive their minute a little, so clock skew between containers cannot reset one. */
const COUNTER_GRACE_SECONDS = 120;

/**
 * Counts one `/v1` read of the tenant at `now` (epoch ms), or throws the 429 (code 4,
 * `retry-after` in whole seconds, at least 1) when the tenant's window is full. Storage errors
 * propagate (the route answers 503).
 */
export async function enforceTenantReadLimit(tenantId: string, now = Date.now()): Promise<void> {
  const limit = config.tenantReadLimitPerMinute();
  if (limit <= 0) return;
  const epochMinute = Math.floor(now / WINDOW_MS);
  const windowEnd = (epochMinute + 1) * WINDOW_MS;
  const counted = await countRead({
    tenantId,
    epochMinute,
    limit,
    expiresAt: Math.ceil(windowEnd / 1000) + COUNTER_GRACE_SECONDS,
  });
  if (counted) return;
  logger.warn("tenant read limit reached", { metric: "RateLimited", tenantId, limit, kind: "reads" });
  countMetric("RateLimited", 1, { tenantId, limit: "reads" });
  throw graphErrors.rateLimited(
    `at most ${limit} reads of /v1 per minute per tenant`,
    Math.max(1, Math.ceil((windowEnd - now) / 1000)),
  );
}
