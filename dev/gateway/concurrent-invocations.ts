/**
 * Overlapping local invocations, each in its own Lambda invoke context, as Lambda's runtime runs
 * them when one execution environment serves several invocations at once
 * (`AWS_LAMBDA_MAX_CONCURRENCY`): the `@aws/lambda-invoke-store` context, backed by
 * AsyncLocalStorage, where Powertools Logger keeps each invocation's own keys (its correlation
 * id, its Lambda context). Without it, the local runtime's overlapping invocations would share the
 * logger's keys and print one another's request ids.
 *
 * In AWS nothing of this is needed: an environment runs one invocation at a time, or, with
 * concurrency, the runtime itself opens the context.
 */
import { setImmediate } from "node:timers/promises";
import { InvokeStore, InvokeStoreBase } from "@aws/lambda-invoke-store";
import type { Context } from "aws-lambda";

/** Set as Lambda sets it for concurrent environments; Powertools only checks that it is set. */
const LOCAL_MAX_CONCURRENCY = "64";

let enabling: Promise<InvokeStoreBase> | undefined;

/** Two overlapping contexts each read back their own value: the store is AsyncLocalStorage-backed. */
async function isolatesInvocations(store: InvokeStoreBase): Promise<boolean> {
  const read = (value: string) =>
    store.run({ probe: value }, async () => {
      await setImmediate();
      return store.get("probe");
    });
  const [first, second] = await Promise.all([read("first"), read("second")]);
  return first === "first" && second === "second";
}

/**
 * Makes the process's invoke store the concurrent one and turns Powertools' per-invocation state
 * on. Must run before anything else touches the store (the AWS SDK does on its first call): the
 * store is a process-wide singleton, created once. Throws when a single-invocation store was
 * created first. Idempotent.
 */
export function enableConcurrentInvocations(): Promise<InvokeStoreBase> {
  enabling ??= (async () => {
    const store = await InvokeStore.getInstanceAsync(true);
    if (!(await isolatesInvocations(store))) {
      throw new Error(
        "the Lambda invoke store was created for one invocation at a time (an AWS SDK call before " +
          "the local runtime started?): call enableConcurrentInvocations() first",
      );
    }
    // Only now: Powertools throws when the variable is set and no store exists.
    process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= LOCAL_MAX_CONCURRENCY;
    return store;
  })();
  return enabling;
}

/** Runs one invocation in its own invoke context, keyed by its Lambda request id (as the runtime does). */
export async function inInvocationContext<T>(context: Context, invocation: () => Promise<T>): Promise<T> {
  const store = await enableConcurrentInvocations();
  return store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, invocation);
}
