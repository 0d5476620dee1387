/**
 * Previous/next buttons for Graph's paging envelope: each shown only when the answer says a page
 * lies that way (`previous`/`next`), and moving by the cursors of the page shown.
 */
import type { Page, PageCursor } from "../api/client.ts";

export interface PagerProps {
  page: Page<unknown> | undefined;
  /** What the pages hold, for the buttons' names ("numbers", "changes"). */
  noun: string;
  /** Labels of the two directions, e.g. "Newer" / "Older" for a history. */
  labels?: { previous: string; next: string };
  disabled?: boolean;
  onPage(cursor: PageCursor): void;
}

/** The paging buttons of a list, or nothing when it has one page. */
export function Pager({ page, noun, labels, disabled, onPage }: PagerProps) {
  if (!page) return null;
  const { before, after } = page.paging.cursors;
  const previous = page.paging.previous && before ? before : undefined;
  const next = page.paging.next && after ? after : undefined;
  if (!previous && !next) return null;
  return (
    <nav class="pager" aria-label={`Pages of ${noun}`}>
      {previous ? (
        <button type="button" disabled={disabled} onClick={() => onPage({ before: previous })}>
          {labels?.previous ?? "Previous"} {noun}
        </button>
      ) : null}
      {next ? (
        <button type="button" disabled={disabled} onClick={() => onPage({ after: next })}>
          {labels?.next ?? "Next"} {noun}
        </button>
      ) : null}
    </nav>
  );
}
