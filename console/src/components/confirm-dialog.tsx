/**
 * A modal confirmation on the browser's own `<dialog>`: keyboard focus stays inside while it is
 * open, Escape cancels, and focus returns to what opened it. The safe choice (cancel) has the
 * focus first; the confirming button names the action.
 *
 * Returning the focus is done here, for every dialog, rather than left to the browser: a page closes
 * the dialog by unmounting it, and a dialog removed from the page gives the focus to the body, not
 * back to its opener. So the dialog closes itself and returns the focus first, then tells the page. A page keeps its openers focusable while an action runs (`aria-disabled`,
 * not `disabled`, which drops the focus), and moves the focus itself when its action removes the
 * opener (a revoked key's button, a removed endpoint's page).
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { dialogFocusGone, focusFirst } from "../focus.ts";

export interface ConfirmDialogProps {
  /** The dialog's heading, also its accessible name. */
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  /** Styles the confirming button as destructive. */
  danger?: boolean;
  onConfirm(): void;
  onCancel(): void;
  /**
   * Where the focus goes when the control that opened the dialog can no longer take it (default:
   * the page's heading).
   */
  returnFocus?: () => Element | null | undefined;
}

let dialogs = 0;

/** Opens as a modal when mounted; unmount it to close it (after `onConfirm` or `onCancel`). */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onCancel,
  returnFocus,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`confirm-${++dialogs}`);
  // What had the focus when the dialog appeared (its first render, before it takes the focus).
  const opener = useRef(document.activeElement);
  const fallback = useRef(returnFocus);
  fallback.current = returnFocus;
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      // Unmounted without a choice (what it asked about went away, or the page did): the focus
      // goes where a choice would have sent it.
      if (dialog?.open) close(dialog);
    };
  }, []);

  /** Closes the dialog and gives the focus back, before the page acts on the choice. */
  function close(dialog: HTMLDialogElement | null) {
    if (dialog?.open) dialog.close();
    // Not when something else has the focus already (the browser's own return to the opener).
    if (dialogFocusGone(dialog)) focusFirst(opener.current, fallback.current?.());
  }
  const choose = (then: () => void) => () => {
    close(ref.current);
    then();
  };
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby={`${id.current}-title`}
      aria-describedby={`${id.current}-body`}
      onCancel={(event) => {
        event.preventDefault();
        choose(onCancel)();
      }}
    >
      <h2 id={`${id.current}-title`}>{title}</h2>
      <div id={`${id.current}-body`}>{children}</div>
      <div class="actions">
        <button type="button" autofocus onClick={choose(onCancel)}>
          Cancel
        </button>
        <button type="button" class={danger ? "danger" : "primary"} onClick={choose(onConfirm)}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
