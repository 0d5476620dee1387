/**
 * GET /health: can this deployment serve? Two checks: the store answers a read within its
 * budget (HEALTH_STORE_TIMEOUT_MS, default 1.5 s: far above DynamoDB's milliseconds, far below
 * the function's timeout and an uptime checker's patience), and every required secret has a
 * value. The report also names the version and commit deployed. A failure is logged by name
 * (the check, a secret's name, the error's kind), never by value.
 */
import { config, REQUIRED_SECRETS } from "../config.ts";
import { logger } from "../logger.ts";
import { probeStore } from "../store/health-probe.ts";
import type { HealthReport } from "./health-report.ts";

type StoreCheck = HealthReport["checks"]["store"];

async function checkStore(timeoutMs: number): Promise<StoreCheck> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    await probeStore(timeoutMs);
    return { status: "ok", latency_ms: elapsed() };
  } catch (error) {
    const latency = elapsed();
    const { name, code } = (error ?? {}) as { name?: string; code?: string };
    const timedOut = name === "TimeoutError" || name === "AbortError";
    return {
      status: "failed",
      latency_ms: latency,
      error: timedOut ? "timeout" : (code ?? name ?? "unknown"),
    };
  }
}

/** The report, and whether the deployment is healthy (HTTP 200) or not (503). */
export async function checkHealth(): Promise<{ healthy: boolean; report: HealthReport }> {
  const store = await checkStore(config.healthStoreTimeoutMs());
  const set = config.requiredSecretsSet();
  const missing = REQUIRED_SECRETS.filter((name) => !set[name]);
  const healthy = store.status === "ok" && missing.length === 0;
  const report: HealthReport = {
    status: healthy ? "ok" : "unavailable",
    version: config.serviceVersion(),
    commit: config.serviceCommit(),
    checks: { store, secrets: { status: missing.length === 0 ? "ok" : "failed", missing } },
  };
  if (!healthy) {
    logger.error("health check failed", {
      store: store.status,
      ...(store.error ? { storeError: store.error } : {}),
      missingSecrets: missing,
    });
  }
  return { healthy, report };
}
