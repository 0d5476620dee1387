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
import { type CounterWindow, countMetaCall } from "../store/meta-call-counters.ts";

const WINDOW_MS = 60_000;
/** Counters outlive their minute a little, so clock skew between containers cannot reset one. */
const COUNTER_GRACE_SECONDS = 120;

/**
 * The tenant's counting window for a call made `now`, or undefined when the limit is off
 * (`TENANT_META_LIMIT_PER_MINUTE` = 0). A caller may count it on its own (`enforceTenantMetaLimit`)
 * or inside a transaction of its own (a POST's or DELETE's turn, usernames/turns.ts), and refuse
 * with `tenantMetaLimitReached` when the count was full.
 */
export function tenantMetaWindow(tenantId: string, now = Date.now()): CounterWindow | undefined {
  const limit = config.tenantMetaLimitPerMinute();
  if (limit <= 0) return undefined;
  const epochMinute = Math.floor(now / WINDOW_MS);
  const windowEnd = (epochMinute + 1) * WINDOW_MS;
  return { tenantId, epochMinute, limit, expiresAt: Math.ceil(windowEnd / 1000) + COUNTER_GRACE_SECONDS };
}

/** Counts one call to Meta for the tenant, or throws the 429 (code 4, `retry-after`) when its minute is full. */
export async function enforceTenantMetaLimit(tenantId: string, now = Date.now()): Promise<void> {
  const window = tenantMetaWindow(tenantId, now);
  if (window && !(await countMetaCall(window))) throw tenantMetaLimitReached(window, now);
}

/** The refusal of a call over the tenant's limit (counted as `RateLimited`). */
export function tenantMetaLimitReached(window: CounterWindow, now = Date.now()) {
  logger.warn("tenant Meta call limit reached", {
    metric: "RateLimited",
    tenantId: window.tenantId,
    limit: window.limit,
  });
  countMetric("RateLimited", 1, { tenantId: window.tenantId });
  const windowEnd = (window.epochMinute + 1) * WINDOW_MS;
  return graphErrors.rateLimited(
    `at most ${window.limit} requests to Meta per minute per tenant`,
    Math.max(1, Math.ceil((windowEnd - now) / 1000)),
  );
}
