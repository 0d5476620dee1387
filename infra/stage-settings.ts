/**
 * Figures that differ between stages, in one place: the per-tenant limit on calls to Meta and
 * every alarm's threshold (infra/alarms.ts turns the thresholds into CloudWatch alarms; each alarm
 * has its section in docs/runbook.md). Plain data, no SST import: tests read it as it is.
 *
 * `production` is the stage tenants use; every other stage (dev, staging, pr-42...) takes `other`:
 * thresholds there are looser, so a developer's experiments do not page anyone for nothing, yet
 * an outage still shows.
 */

import type { RouteDefinition } from "./routes.ts";

export type StageKind = "production" | "other";

export function stageKind(stage: string): StageKind {
  return stage === "production" ? "production" : "other";
}

/**
 * Requests that reach Meta (every /meta/whatsapp route but the webhook), per tenant per minute
 * (functions/core/rate-limit/tenant-meta-limit.ts, TENANT_META_LIMIT_PER_MINUTE). 120 in
 * production: two a second on average for one tenant, far above human-paced username changes and
 * reads, and a small share of the Meta app's own rate limit, which every tenant shares. The API's
 * stage throttle (infra/api.ts: 100 rps per route, bursts of 200) stays the global backstop.
 */
export const TENANT_META_LIMIT_PER_MINUTE: Record<StageKind, number> = { production: 120, other: 60 };

/**
 * API Gateway's throttle of every route of the stage (infra/api.ts `defaultRouteSettings`; the
 * local gateway emulates it with `throttling`, dev/gateway/throttle.ts). An HTTP API keeps one
 * token bucket per route: Meta's webhook route has a bucket of its own that no tenant's calls
 * to the username or `/v1` routes draw from, and each route's rate is far above human-paced
 * use and Meta's deliveries, and far below the account's regional 10,000 rps (every route of the
 * stage together: 19 routes × 100 = 1,900 rps). Per tenant, the store's counters come on top
 * (TENANT_META_LIMIT_PER_MINUTE, TENANT_READ_LIMIT_PER_MINUTE).
 */
export const ROUTE_THROTTLING = { rateLimit: 100, burstLimit: 200 } as const;

/**
 * `/v1` reads per tenant per minute (functions/core/rate-limit/tenant-read-limit.ts,
 * TENANT_READ_LIMIT_PER_MINUTE): 600 in production, ten pages a second on average for one
 * tenant, enough to page through 60,000 numbers (100 a page) in a minute; every tenant's reads
 * are counted apart, so one tenant over its limit is refused (429 code 4) before any read while
 * the others are served (docs/reliability.md, "Fair share").
 */
export const TENANT_READ_LIMIT_PER_MINUTE: Record<StageKind, number> = { production: 600, other: 300 };

/** How an alarm reads its metric: the statistic over each period, compared with the threshold. */
export interface AlarmRule {
  /** Runbook section (docs/runbook.md, a `## ` heading): what it means, where to look, what to do. */
  section: string;
  /** What the threshold counts, for the alarm's description. */
  unit: string;
  /** The alarm fires at this value or above; `null`: no alarm on that kind of stage (off). */
  threshold: Record<StageKind, number | null>;
  /** Seconds per evaluated period. */
  periodSeconds: number;
  /** Periods in breach, out of as many evaluated, before the alarm fires. */
  periods: number;
}

/** One alarm on each of the service's own metrics (functions/core/metrics.ts) that signals trouble. */
export const METRIC_ALARMS = {
  UpstreamUnavailable: {
    section: "UpstreamUnavailable",
    unit: "calls to Meta that failed (no answer, 5xx) in 5 minutes",
    threshold: { production: 5, other: 20 },
    periodSeconds: 300,
    periods: 1,
  },
  UpstreamThrottled: {
    section: "UpstreamThrottled",
    unit: "calls Meta throttled in 5 minutes",
    threshold: { production: 10, other: 50 },
    periodSeconds: 300,
    periods: 1,
  },
  StorageUnavailable: {
    section: "StorageUnavailable",
    unit: "requests DynamoDB failed or throttled in 5 minutes",
    threshold: { production: 1, other: 10 },
    periodSeconds: 300,
    periods: 1,
  },
  WebhookSignatureInvalid: {
    section: "WebhookSignatureInvalid",
    unit: "webhook deliveries without a valid signature in 5 minutes",
    threshold: { production: 5, other: 20 },
    periodSeconds: 300,
    periods: 1,
  },
  UnknownPhoneNumber: {
    section: "UnknownPhoneNumber",
    unit: "webhook changes for unregistered numbers in an hour",
    threshold: { production: 10, other: 50 },
    periodSeconds: 3600,
    periods: 1,
  },
  UsernameRevoked: {
    section: "UsernameRevoked",
    unit: "usernames Meta revoked in 5 minutes",
    threshold: { production: 1, other: 5 },
    periodSeconds: 300,
    periods: 1,
  },
  UsernameChangedOutside: {
    section: "UsernameChangedOutside",
    unit: "username changes made outside this service in an hour",
    // Off by default: on a number shared with other partners or managed in WhatsApp Manager such
    // changes are normal. A stage whose numbers only this service should change sets a number.
    threshold: { production: null, other: null },
    periodSeconds: 3600,
    periods: 1,
  },
  DriftDetected: {
    section: "DriftDetected",
    unit: "numbers whose record differed from Meta in an hour",
    threshold: { production: 5, other: 20 },
    periodSeconds: 3600,
    periods: 1,
  },
  DriftSweepBehind: {
    section: "DriftSweepBehind",
    // Written by the reconciler (reconcile/drift-sweep.ts) once a run while the pace
    // (META_SYNC_RATE_PER_SECOND) cannot end the drift sweep's pass within its interval: it stays
    // so until an operator raises the pace or the interval, or the pass ends. Production pages on
    // the first; elsewhere half an hour of runs.
    unit: "reconciler runs that found the drift sweep unable to end its pass within its interval, in an hour",
    threshold: { production: 1, other: 30 },
    periodSeconds: 3600,
    periods: 1,
  },
  IntentReconciled: {
    section: "IntentReconciled",
    unit: "changes settled by the reconciler in an hour",
    threshold: { production: 20, other: 100 },
    periodSeconds: 3600,
    periods: 1,
  },
  RateLimited: {
    section: "RateLimited",
    unit: "requests refused by the per-tenant limit in 5 minutes",
    threshold: { production: 50, other: 200 },
    periodSeconds: 300,
    periods: 1,
  },
  EventDeliveryFailed: {
    section: "EventDeliveryFailed",
    unit: "failed tenant webhook attempts in 15 minutes",
    threshold: { production: 50, other: 200 },
    periodSeconds: 900,
    periods: 1,
  },
  EventDeliveryExhausted: {
    section: "EventDeliveryExhausted",
    unit: "tenant webhook deliveries given up in 5 minutes",
    threshold: { production: 1, other: 5 },
    periodSeconds: 300,
    periods: 1,
  },
} as const satisfies Record<string, AlarmRule>;

/** What a route waits for, which sets its latency budget. */
export type RouteLatencyKind = "meta" | "webhook" | "store";

/** Routes of the Graph proxy wait for Meta; Meta's webhook and the read API for the store only. */
export function routeLatencyKind(route: Pick<RouteDefinition, "handler" | "audience">): RouteLatencyKind {
  if (route.audience === "meta") return "webhook";
  return route.handler.startsWith("functions/username-api/") ? "meta" : "store";
}

/**
 * A route's p99 latency, over 3 periods of 5 minutes in a row, at or above its budget in ms:
 * Meta's own answer time dominates the proxy's routes (their Graph budget is 10 s); the others
 * make one to a few DynamoDB calls.
 */
export const API_LATENCY_P99 = {
  section: "ApiLatencyP99",
  unit: "ms, a route's p99 latency over 5 minutes",
  threshold: {
    meta: { production: 5_000, other: 8_000 },
    webhook: { production: 3_000, other: 5_000 },
    store: { production: 1_000, other: 2_000 },
  } satisfies Record<RouteLatencyKind, Record<StageKind, number>>,
  periodSeconds: 300,
  periods: 3,
} as const;

/** Alarms on AWS's own metrics: per route, per function, the table and the delivery queues. */
export const SERVICE_ALARMS = {
  /** Share of a route's requests answered 5xx, in percent (only with 10 requests or more). */
  ApiServerErrorRate: {
    section: "ApiServerErrorRate",
    unit: "percent of a route's requests answered 5xx, over 5 minutes",
    threshold: { production: 5, other: 25 },
    periodSeconds: 300,
    periods: 2,
  },
  LambdaErrors: {
    section: "LambdaErrors",
    unit: "invocations of a function that failed in 5 minutes",
    threshold: { production: 1, other: 5 },
    periodSeconds: 300,
    periods: 1,
  },
  LambdaThrottles: {
    section: "LambdaThrottles",
    unit: "invocations of a function Lambda throttled in 5 minutes",
    threshold: { production: 1, other: 5 },
    periodSeconds: 300,
    periods: 1,
  },
  TableThrottled: {
    section: "TableThrottled",
    unit: "read or write requests DynamoDB throttled in 5 minutes",
    threshold: { production: 1, other: 10 },
    periodSeconds: 300,
    periods: 1,
  },
  OldestUnsequencedChange: {
    section: "OldestUnsequencedChange",
    unit: "ms the oldest table stream record waited for the event sequencer (IteratorAge)",
    threshold: { production: 300_000, other: 1_800_000 },
    periodSeconds: 300,
    periods: 2,
  },
  OldestUnappendedEvent: {
    section: "OldestUnappendedEvent",
    unit: "seconds the oldest message of the FIFO feed queue has waited for the feed appender",
    threshold: { production: 300, other: 1_800 },
    periodSeconds: 300,
    periods: 2,
  },
  UnappendedEvents: {
    section: "UnappendedEvents",
    unit: "messages in the feed's dead-letter queue (events not in their tenant's feed)",
    threshold: { production: 1, other: 1 },
    periodSeconds: 300,
    periods: 1,
  },
  OldestUndeliveredEvent: {
    section: "OldestUndeliveredEvent",
    unit: "seconds the oldest message of the webhook queue has waited",
    threshold: { production: 600, other: 1_800 },
    periodSeconds: 300,
    periods: 2,
  },
  UndispatchedEvents: {
    section: "UndispatchedEvents",
    unit: "messages in the webhook dead-letter queue",
    threshold: { production: 1, other: 1 },
    periodSeconds: 300,
    periods: 1,
  },
} as const satisfies Record<string, AlarmRule>;

export type MetricAlarmName = keyof typeof METRIC_ALARMS;
export type ServiceAlarmName = keyof typeof SERVICE_ALARMS;

/** Every runbook section an alarm points to. */
export const ALARM_SECTIONS: readonly string[] = [
  ...Object.values(METRIC_ALARMS).map((rule) => rule.section),
  ...Object.values(SERVICE_ALARMS).map((rule) => rule.section),
  API_LATENCY_P99.section,
];
