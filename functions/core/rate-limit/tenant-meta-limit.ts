/**
 * Per-tenant limit on the calls that reach Meta: every route of the Graph proxy (GET username,
 * GET username_suggestions, POST, DELETE), so one tenant cannot spend the Meta app's quota or the
 * service's capacity that the others share. A fixed window per tenant per minute, counted in
 * DynamoDB so every Lambda container shares it. One conditional write per request; checked after
 * the phone number's ownership and before Meta. The API's stage throttle (infra/api.ts) stays the
 * global backstop. A fixed window lets a tenant send up to twice the limit across a minute
 * boundary: accepted, as the limit protects Meta's quota and our costs, not an exact rate
 * (docs/reliability.md). Over the limit: 429 code 4 with `Retry-After`, and `RateLimited` counted.
 */
import { config } from "../config.ts";
import { graphErrors } from "../errors/graph-error.ts";
import { logger } from "../logger.ts";
import { countMetric } from "../metrics.ts";
import { countMetaCall } from "../store/meta-call-counters.ts";

const WINDOW_MS = 60_000;
/** Counters outlive their minute a little, so clock skew between containers cannot reset one. */
const COUNTER_GRACE_SECONDS = 120;

export async function enforceTenantMetaLimit(tenantId: string, now = Date.now()): Promise<void> {
  const limit = config.tenantMetaLimitPerMinute();
  if (limit <= 0) return;
  const epochMinute = Math.floor(now / WINDOW_MS);
  const windowEnd = (epochMinute + 1) * WINDOW_MS;
  const counted = await countMetaCall({
    tenantId,
    epochMinute,
    limit,
    expiresAt: Math.ceil(windowEnd / 1000) + COUNTER_GRACE_SECONDS,
  });
  if (counted) return;
  logger.warn("tenant Meta call limit reached", { metric: "RateLimited", tenantId, limit });
  countMetric("RateLimited", 1, { tenantId });
  throw graphErrors.rateLimited(
    `at most ${limit} requests to Meta per minute per tenant`,
    Math.max(1, Math.ceil((windowEnd - now) / 1000)),
  );
}
