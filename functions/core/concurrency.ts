/** Runs `task` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: "fulfilled", value: await task(items[index] as T, index) };
      } catch (reason) {
        results[index] = { status: "rejected", reason };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Settles with `work`'s value when `work` settles before epoch ms `deadline`, else with
 * `undefined` at the deadline; `work` goes on either way (its rejection after the deadline is
 * the caller's to observe through `work` itself). For answering in time while a write runs on.
 */
export async function settledBefore<T>(
  work: Promise<T>,
  deadline: number,
): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work.then((value) => ({ value })), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Optimistic concurrency: runs `attempt` (read, decide, write conditionally on what was read) until
 * it does not throw an error `isConflict` accepts (another writer committed first: read again),
 * waiting a random 0 to 10 × 2^n ms (n capped at 5) between tries so racing callers spread out.
 * After `attempts` conflicts, throws what `exhausted` makes. Any other error is thrown at once.
 */
export async function retryOnConflict<T>(
  attempts: number,
  isConflict: (error: unknown) => boolean,
  exhausted: () => Error,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let n = 0; n < attempts; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(n, 5)));
    }
  }
  throw exhausted();
}
