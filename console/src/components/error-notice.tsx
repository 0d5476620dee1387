/**
 * An error as the console shows it: what failed, Meta's or the service's message with its Graph
 * code, what to do (errors.ts `adviceFor`), and the trace id to quote. Announced by screen
 * readers as soon as it appears (`role="alert"`). All text is rendered as text.
 */
import { type AdviceContext, type ApiError, adviceFor } from "../api/errors.ts";

export interface ErrorNoticeProps {
  /** What was being done, e.g. "Claiming the username failed". */
  title: string;
  error: ApiError;
  /** Where it happened, when that changes what to do (the self-service pages: `SELF_SERVICE_ADVICE`). */
  advice?: AdviceContext | undefined;
}

/** The notice of one failed request. */
export function ErrorNotice({ title, error, advice }: ErrorNoticeProps) {
  const code =
    error.code !== undefined
      ? `Code ${error.code}${error.subcode !== undefined ? ` (subcode ${error.subcode})` : ""}`
      : error.status > 0
        ? `HTTP ${error.status}`
        : "No answer";
  return (
    <div class="notice notice-error" role="alert">
      <p class="notice-title">
        {title}. <span class="error-code">{code}</span>
      </p>
      <p class="error-message">{error.message}</p>
      <p class="error-advice">
        <strong>What to do:</strong> {adviceFor(error, advice)}
      </p>
      {error.traceId ? <p class="trace-id">Trace id: {error.traceId}</p> : null}
    </div>
  );
}
