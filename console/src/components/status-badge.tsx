/**
 * Statuses as labelled badges: a username's (`reserved`, `approved`, `deleted`, or one Meta adds
 * later), and any other status a page maps to a tone (a delivery's, an API key's). The word is
 * always written out: the colour only repeats it.
 */
import type { ComponentChildren } from "preact";

const KNOWN = new Set(["reserved", "approved", "deleted"]);

/** The badge of `status` ("no username" when there is none). */
export function StatusBadge({ status }: { status: string | undefined }) {
  if (!status) return <span class="badge badge-none">no username</span>;
  return <span class={`badge badge-${KNOWN.has(status) ? status : "other"}`}>{status}</span>;
}

/** How a status reads: done, waiting, failed, or neither. */
export type BadgeTone = "ok" | "wait" | "error" | "neutral";

/** A badge of one of the tones; `children` is the status in words. */
export function Badge({ tone, children }: { tone: BadgeTone; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}
