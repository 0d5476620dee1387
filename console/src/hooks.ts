/** Hooks the pages share: loading data with visible states, and polling while Meta decides. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, networkError } from "./api/errors.ts";

/** What `useLoad` gives a page. */
export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** True while a request is in flight (the first one, and every reload). */
  loading: boolean;
  /** Loads again; answers of an older load that arrive later are dropped. */
  reload(): Promise<void>;
}

/**
 * Runs `load` now and whenever `key` changes; keeps the last data while reloading so the page
 * does not flicker. `onError` sees every failure first (the shell signs out on code 190).
 */
export function useLoad<T>(
  key: string,
  load: () => Promise<T>,
  onError?: (error: ApiError) => void,
): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const generation = useRef(0);
  const latest = useRef(load);
  latest.current = load;
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    try {
      const data = await latest.current();
      if (mine === generation.current) setState({ data, loading: false });
    } catch (caught) {
      const error = caught instanceof ApiError ? caught : networkError(caught);
      onError?.(error);
      if (mine === generation.current) setState((previous) => ({ ...previous, error, loading: false }));
    }
  }, [onError]);
  // `key` names what is loaded; `reload` always runs the latest `load`.
  useEffect(() => {
    setState({ loading: true });
    void reload();
    return () => {
      generation.current++;
    };
  }, [key]);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/**
 * Calls `tick` every `intervalMs` while `active` and the page is visible: a reserved username
 * changes when Meta decides (a webhook the service records), and the page shows it on its own.
 */
export function usePolling(active: boolean, intervalMs: number, tick: () => void): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") latest.current();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [active, intervalMs]);
}

/**
 * The time now, at every render, and a render every `intervalMs` while the page is visible: what
 * relative times ("2 minutes ago", "in 5 minutes") are computed against, so they stay true on a
 * page left open.
 */
export function useNow(intervalMs: number): number {
  const [, setTicks] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") setTicks((ticks) => ticks + 1);
    }, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return Date.now();
}
