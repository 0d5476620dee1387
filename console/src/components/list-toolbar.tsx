/**
 * What stands above every list the console loads (the numbers, a number's history, the API keys,
 * the webhook endpoints, an endpoint's delivery log; and a number's page until its number is loaded):
 * a Refresh button, disabled while the list
 * loads; a status (`role="status"`, always in the page so screen readers hear it change) that
 * says it is loading; and, when the last load failed, its `ErrorNotice`. One component, so the
 * five lists keep the same controls, the same live region and the same failure notice.
 *
 * Props: `list`, the list's `useLoad` (its `loading`, `error` and `reload`); `loadingText`, what
 * the status says while it loads; `errorTitle`, the notice's title; `advice`, the notice's
 * `AdviceContext` (the self-service pages pass `SELF_SERVICE_ADVICE`); and, for a page that
 * loads more than the list again, `onRefresh` and `refreshDisabled` in place of `list.reload()`
 * and `list.loading`.
 */
import type { AdviceContext } from "../api/errors.ts";
import type { Loaded } from "../hooks.ts";
import { ErrorNotice } from "./error-notice.tsx";

export interface ListToolbarProps {
  /** The list's load: `loading` fills the status and disables Refresh, `error` shows the notice. */
  list: Pick<Loaded<unknown>, "loading" | "error" | "reload">;
  /** What the status says while the list loads, e.g. "Loading the keys…". */
  loadingText: string;
  /** What failed, the notice's title, e.g. "The API keys could not be loaded". */
  errorTitle: string;
  /** Where it happened, for the notice's advice (the self-service pages: `SELF_SERVICE_ADVICE`). */
  advice?: AdviceContext | undefined;
  /** What Refresh does when more than the list loads again (default: `list.reload()`). */
  onRefresh?: (() => void) | undefined;
  /** Whether Refresh is disabled when more than the list loads again (default: `list.loading`). */
  refreshDisabled?: boolean | undefined;
}

/** The Refresh button and loading status of a list, and its load's failure if it failed. */
export function ListToolbar({
  list,
  loadingText,
  errorTitle,
  advice,
  onRefresh,
  refreshDisabled,
}: ListToolbarProps) {
  return (
    <>
      <div class="toolbar">
        <button
          type="button"
          onClick={onRefresh ?? (() => void list.reload())}
          disabled={refreshDisabled ?? list.loading}
        >
          Refresh
        </button>
        <span class="loading" role="status">
          {list.loading ? loadingText : ""}
        </span>
      </div>
      {list.error ? <ErrorNotice title={errorTitle} error={list.error} advice={advice} /> : null}
    </>
  );
}
