/**
 * Per-tenant limit on POST and DELETE (the requests that reach Meta and write state): a fixed
 * window per tenant per minute, counted in DynamoDB so every Lambda container shares it. One
 * conditional write per request; checked after the phone number's ownership and before Meta.
 * A fixed window lets a tenant send up to twice the limit across a minute boundary: accepted,
 * as the limit protects Meta's quota and our costs, not an exact rate (docs/reliability.md).
 */
import { config } from "../config.ts";
import { graphErrors } from "../http/graph-error.ts";
import { logger } from "../logger.ts";
import { countWrite } from "../store/write-counters.ts";

const WINDOW_MS = 60_000;
/** Counters outlive their minute a little, so clock skew between containers cannot reset one. */
const COUNTER_GRACE_SECONDS = 120;

export async function enforceTenantWriteLimit(tenantId: string, now = Date.now()): Promise<void> {
  const limit = config.tenantWriteLimitPerMinute();
  if (limit <= 0) return;
  const epochMinute = Math.floor(now / WINDOW_MS);
  const windowEnd = (epochMinute + 1) * WINDOW_MS;
  const counted = await countWrite({
    tenantId,
    epochMinute,
    limit,
    expiresAt: Math.ceil(windowEnd / 1000) + COUNTER_GRACE_SECONDS,
  });
  if (counted) return;
  logger.warn("tenant write limit reached", { metric: "TenantRateLimited", tenantId, limit });
  throw graphErrors.rateLimited(
    `at most ${limit} POST and DELETE requests per minute per tenant`,
    Math.max(1, Math.ceil((windowEnd - now) / 1000)),
  );
}
