/**
 * `GET /v1/username_changes`: the tenant-wide change feed, oldest first from the cursor. A client
 * that keeps `paging.cursors.after` and calls again gets exactly the changes since, none twice
 * and none missing, across pages and restarts: positions are the feed's dense sequence numbers
 * (store/event-feed.ts), and a page ends before any position not yet visible. `after` is in
 * every answer, an empty one included, so a client always has a position to resume from. A
 * cursor naming a position the feed does not hold (past its head) is refused, like one of another
 * tenant's feed.
 */

import { readFeed } from "../store/event-feed.ts";
import { envelope, integerPosition, notACursorOf, parsePageRequest } from "./paging.ts";
import type { TenantRequest } from "./tenant-request.ts";

export async function listUsernameChanges({ caller, event }: TenantRequest<unknown>) {
  const of = { listing: "username_changes", scope: caller.tenantId } as const;
  const page = parsePageRequest(event, of, integerPosition(0, 999_999_999_999));
  const { entries, more, cursorHeld } = await readFeed(caller.tenantId, page);
  const backwards = page.before !== undefined;
  // A position the feed does not hold (past its head): a client keeping it would skip what comes.
  if (!cursorHeld) throw notACursorOf("username_changes", backwards ? "before" : "after");
  const first = entries[0]?.sequence;
  return envelope({
    event,
    of,
    limit: page.limit,
    data: entries.map((entry) => entry.event),
    first,
    last: entries.at(-1)?.sequence,
    hasNext: backwards ? entries.length > 0 : more,
    hasPrevious: first !== undefined && first > 1,
    // An empty page resumes where it was asked to start (0: the beginning).
    emptyAfter: backwards ? undefined : (page.after ?? 0),
  });
}
