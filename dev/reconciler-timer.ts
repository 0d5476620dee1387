/**
 * The scheduled reconciler under `npm start`: the very handler sst.aws.Cron invokes in AWS
 * (functions/reconcile/reconciler.ts), called on a timer with a Lambda context of the same
 * timeout. A run still going when the next is due is not doubled.
 */
import type { ReconcilerRunCounts } from "../functions/reconcile/reconciler.ts";
import { RECONCILER_SIZING, timeoutMs } from "../infra/function-sizing.ts";
import { inInvocationContext } from "./gateway/concurrent-invocations.ts";
import { lambdaContext } from "./gateway/lambda-context.ts";

/**
 * The run's one line, counting what its log lines say: `reconciler: 1 of 2 due number(s) settled,
 * 1 failed (Meta could not be read: retried later), 0 busy, 0 swept`.
 */
export function summaryLine(summary: ReconcilerRunCounts): string {
  const parts = [`${summary.settled} of ${summary.due} due number(s) settled`];
  if (summary.failed > 0) parts.push(`${summary.failed} failed (Meta could not be read: retried later)`);
  if (summary.busy > 0) parts.push(`${summary.busy} busy (another change held the number: retried later)`);
  parts.push(`${summary.swept} swept`);
  return `reconciler: ${parts.join(", ")}`;
}

export interface ReconcilerTimer {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Every `intervalMs`; `log` gets one line per run that found something to do, and failures. */
export function startReconcilerTimer(intervalMs: number, log: (line: string) => void): ReconcilerTimer {
  let running: Promise<void> | undefined;
  const run = async () => {
    const { handler } = await import("../functions/reconcile/reconciler.ts");
    const context = lambdaContext("Reconciler", timeoutMs(RECONCILER_SIZING));
    try {
      // Its own invoke context: its log keys never mix with an overlapping invocation's.
      const summary = (await inInvocationContext(context, () =>
        handler({} as never, context),
      )) as ReconcilerRunCounts;
      if (summary.due > 0 || summary.swept > 0) log(summaryLine(summary));
    } catch (error) {
      log(`reconciler run failed: ${(error as Error).message}`);
    }
  };
  const timer = setInterval(() => {
    running ??= run().finally(() => {
      running = undefined;
    });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
