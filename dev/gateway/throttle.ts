/**
 * API Gateway's route throttling as the local gateway emulates it (off unless asked for): one
 * token bucket per route key (`GET /v1/phone_numbers`, `HEAD /health`, `$default`), refilled at
 * `rateLimit` tokens a second up to `burstLimit`, as an HTTP API stage's route settings do
 * (infra/api.ts). A request that finds its bucket empty gets API Gateway's own 429: the body
 * `{"message":"Too Many Requests"}`, no security headers, never reaching a function.
 */

export interface RouteThrottling {
  /** Steady-state requests per second per route. */
  rateLimit: number;
  /** Requests a route takes at once from a full bucket. */
  burstLimit: number;
}

export interface Throttle {
  /** Takes one token of the route's bucket; false when it is empty (answer 429). */
  admit(routeKey: string, now?: number): boolean;
}

export function createThrottle(settings: RouteThrottling): Throttle {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    admit(routeKey, now = performance.now()) {
      const bucket = buckets.get(routeKey) ?? { tokens: settings.burstLimit, at: now };
      bucket.tokens = Math.min(
        settings.burstLimit,
        bucket.tokens + ((now - bucket.at) / 1000) * settings.rateLimit,
      );
      bucket.at = now;
      buckets.set(routeKey, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}

/** API Gateway's own throttling answer, byte for byte (no Graph envelope, no security headers). */
export const THROTTLED_BODY = '{"message":"Too Many Requests"}';
