/**
 * Memory and timeout of each kind of function, in SST's own notation. Plain data, no SST import:
 * infra/api.ts deploys these figures and the local gateway (dev/) gives every invocation the
 * same timeout, so a handler's deadline arithmetic behaves locally as in AWS. The figures are
 * argued in docs/deploy.md ("Sizing and limits").
 */
import type { RouteDefinition } from "./routes.ts";

export interface FunctionSizing {
  memory: `${number} MB`;
  timeout: `${number} seconds`;
}

export const FUNCTION_SIZING: Record<RouteDefinition["audience"], FunctionSizing> = {
  // Room for a POST or DELETE to wait its turn on a busy number (up to the deadline less 5 s for
  // Meta) before its Graph call, and still under API Gateway's 30 s integration cap.
  api: { memory: "1024 MB", timeout: "25 seconds" },
  // No upstream call; up to 1000 changes per delivery. Typical answers take milliseconds.
  meta: { memory: "1024 MB", timeout: "20 seconds" },
  // GET /health: one read with a 1.5 s budget (functions/core/health/health-check.ts).
  operator: { memory: "512 MB", timeout: "5 seconds" },
  // The console's files: read once per container (tens of KB), then answered from memory.
  console: { memory: "256 MB", timeout: "3 seconds" },
};

/** The timeout in milliseconds. */
export function timeoutMs(sizing: FunctionSizing): number {
  return Number.parseInt(sizing.timeout, 10) * 1000;
}

export function memoryMb(sizing: FunctionSizing): number {
  return Number.parseInt(sizing.memory, 10);
}

/**
 * The scheduled reconciler (functions/reconcile/reconciler.ts): one run settles the numbers due
 * and a slice of the drift sweep, pacing its calls to Meta, so it may run for minutes. It runs
 * every minute (`RECONCILE_SCHEDULE`); the local runtime runs it on a timer with the same timeout.
 */
export const RECONCILER_SIZING: FunctionSizing = { memory: "512 MB", timeout: "300 seconds" };
export const RECONCILE_SCHEDULE = "rate(1 minute)";
