/**
 * A modal confirmation on the browser's own `<dialog>`: keyboard focus stays inside while it is
 * open, Escape cancels, and focus returns to what opened it. The safe choice (cancel) has the
 * focus first; the confirming button names the action.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

export interface ConfirmDialogProps {
  /** The dialog's heading, also its accessible name. */
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  /** Styles the confirming button as destructive. */
  danger?: boolean;
  onConfirm(): void;
  onCancel(): void;
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
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`confirm-${++dialogs}`);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="confirm"
      aria-labelledby={`${id.current}-title`}
      aria-describedby={`${id.current}-body`}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id={`${id.current}-title`}>{title}</h2>
      <div id={`${id.current}-body`}>{children}</div>
      <div class="actions">
        <button type="button" autofocus onClick={onCancel}>
          Cancel
        </button>
        <button type="button" class={danger ? "danger" : "primary"} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
