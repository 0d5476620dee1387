/** A username status as a labelled badge: `reserved`, `approved`, `deleted`, or a status Meta adds later. */

const KNOWN = new Set(["reserved", "approved", "deleted"]);

/** The badge of `status` ("no username" when there is none). */
export function StatusBadge({ status }: { status: string | undefined }) {
  if (!status) return <span class="badge badge-none">no username</span>;
  return <span class={`badge badge-${KNOWN.has(status) ? status : "other"}`}>{status}</span>;
}
