/**
 * Where the keyboard focus goes when what had it goes away: a dialog closing, a button an action
 * removed. Without this the browser drops it on the page's body, and a keyboard or screen reader
 * user starts again from the top.
 */

/** Whether `element` can take the keyboard focus now: in the page, not disabled, not hidden. */
export function canFocus(element: Element | null | undefined): element is HTMLElement {
  if (!(element instanceof HTMLElement) || !element.isConnected) return false;
  if ((element as HTMLButtonElement).disabled) return false;
  // An element under `display: none` (or its own) has no box.
  return element.getClientRects().length > 0;
}

/** The page's own heading: where the focus goes when nothing nearer can take it. */
export function pageHeading(): HTMLElement | null {
  return document.querySelector<HTMLElement>("main h1");
}

/** Focuses the first of `candidates` that can take the focus (else the page's heading); returns it. */
export function focusFirst(...candidates: (Element | null | undefined)[]): HTMLElement | undefined {
  const target = [...candidates, pageHeading()].find(canFocus);
  target?.focus();
  return target;
}

/**
 * Whether the focus went with `dialog` as it closed: it is on the body, on an element no longer in
 * the page, or still inside the dialog. Anywhere else, something put it there on purpose.
 */
export function dialogFocusGone(dialog: Element | null | undefined): boolean {
  const active = document.activeElement;
  return (
    active === null || active === document.body || !active.isConnected || dialog?.contains(active) === true
  );
}
