/** Small display helpers. Every value shown is rendered as text by Preact, never as HTML. */

/** Control, C1 and bidirectional characters: what the service's "printable characters" exclude. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters refused.
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** Whether `text` has a character the service refuses in a name or description. */
export function hasUnprintable(text: string): boolean {
  return NOT_PRINTABLE.test(text);
}

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

/** Who made a change, in words (docs/spec.md: a change's `origin`). */
export const ORIGIN_LABELS: Record<string, string> = {
  this_service: "Through this service",
  outside: "Outside this service (someone else or Meta)",
  // Changes recorded before the service recorded origins.
  unknown: "Not recorded",
};

/** `origin` in words; none (an older record) is "Not recorded", a value the service adds later as it is. */
export function originLabel(origin: string | undefined): string {
  if (!origin) return ORIGIN_LABELS.unknown as string;
  return ORIGIN_LABELS[origin] ?? origin;
}

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1_000],
];

/**
 * How far `iso` is from `now`, in the reader's language ("3 minutes ago", "in 5 hours"), in the
 * largest whole unit; "" when it is not a time. Beside `timeLabel`, it answers "how long ago"
 * without arithmetic, as a delivery log is read. `side` keeps a time on the side it belongs to
 * ("past": a last attempt; "future": a next one), as the service's clock and the browser's may
 * differ by a few seconds: such a time on the wrong side reads "now".
 */
export function relativeTimeLabel(
  iso: string | undefined,
  now: number = Date.now(),
  side?: "past" | "future",
): string {
  if (!iso) return "";
  const time = new Date(iso).getTime();
  if (Number.isNaN(time)) return "";
  let difference = time - now;
  if ((side === "past" && difference > 0) || (side === "future" && difference < 0)) difference = 0;
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, ms] of RELATIVE_UNITS) {
    if (Math.abs(difference) >= ms || unit === "second") {
      return format.format(Math.round(difference / ms), unit);
    }
  }
  return "";
}
