/** Small display helpers. Every value shown is rendered as text by Preact, never as HTML. */

/** Meta's display number (digits only) as people write it: `+15550100001`. */
export function phoneLabel(displayPhoneNumber: string): string {
  return displayPhoneNumber.startsWith("+") ? displayPhoneNumber : `+${displayPhoneNumber}`;
}

/** An ISO 8601 time in the reader's locale, to the second; the input unchanged when it is not a time. */
export function timeLabel(iso: string | undefined): string {
  if (!iso) return "";
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) return iso;
  return time.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** What made a change, in words (docs/spec.md, "How answers and webhooks change it"). */
export const SOURCE_LABELS: Record<string, string> = {
  api: "API request",
  webhook: "Meta (webhook)",
  reconcile: "Read from Meta",
  transfer: "Moved to another number",
};

/** `source` in words; a source Meta or the service adds later as it is. */
export function sourceLabel(source: string | undefined): string {
  if (!source) return "";
  return SOURCE_LABELS[source] ?? source;
}

/**
 * Any JSON value as one line of text: strings as they are, anything else as JSON. For fields the
 * console does not know the shape of yet (`origin`, `requested_by`).
 */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
