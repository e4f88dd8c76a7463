import type { ComponentChildren, JSX, TargetedKeyboardEvent, TargetedMouseEvent } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** Props of `ConfirmDialog`. */
export interface ConfirmDialogProps {
  /** Whether the dialog is shown (as a modal: the page behind it cannot be reached). */
  readonly open: boolean;
  readonly title: string;
  /** What confirming will do, said before it is done. */
  readonly children?: ComponentChildren;
  /** The confirm button's words, e.g. "Confirm promotion" or "Destroy stack". */
  readonly confirmLabel: string;
  readonly cancelLabel?: string;
  /** Red confirm button for an action that removes something. */
  readonly danger?: boolean;
  /** Keeps the confirm button disabled (e.g. until the stack's name is typed). */
  readonly confirmDisabled?: boolean;
  /** Shows the confirm button as working and disables both buttons. */
  readonly busy?: boolean;
  readonly onConfirm: () => void;
  /** Called on Cancel, Escape, or a click on the backdrop. */
  readonly onCancel: () => void;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/**
 * A modal confirmation on the native `<dialog>`: focus moves into it and Tab cycles inside it, Escape cancels, and
 * focus returns to where it was when it closes.
 */
export function ConfirmDialog(props: ConfirmDialogProps): JSX.Element {
  const { open, title, children, confirmLabel, cancelLabel = "Cancel", danger, confirmDisabled, busy, onConfirm, onCancel } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const returnFocus = useRef<HTMLElement | null>(null);

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (open && !element.open) {
      returnFocus.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      element.showModal();
    } else if (!open && element.open) {
      element.close();
      returnFocus.current?.focus();
    }
  }, [open]);

  // A dialog its parent removes (rather than closing) still hands focus back to where it came from.
  useEffect(
    () => () => {
      returnFocus.current?.focus();
    },
    [],
  );

  const handleKeyDown = (event: TargetedKeyboardEvent<HTMLDialogElement>): void => {
    if (event.key !== "Tab" || dialog.current === null) return;
    // The modal dialog makes the page inert, but Tab would still leave for the browser's own controls; keep it inside.
    const focusable = Array.from(dialog.current.querySelectorAll<HTMLElement>(FOCUSABLE));
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (first === undefined || last === undefined) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  const handleCancel = (event: Event): void => {
    // Escape: the parent decides whether the dialog closes (it owns `open`).
    event.preventDefault();
    if (!busy) onCancel();
  };

  const handleBackdropClick = (event: TargetedMouseEvent<HTMLDialogElement>): void => {
    if (event.target === dialog.current && !busy) onCancel();
  };

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby="dialog-title" onKeyDown={handleKeyDown} onCancel={handleCancel} onClick={handleBackdropClick}>
      <div class="dialog-body">
        <h2 id="dialog-title">{title}</h2>
        {children}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onCancel} disabled={busy}>
            {cancelLabel}
          </button>
          <button type="button" class={danger ? "button button-danger" : "button button-primary"} onClick={onConfirm} disabled={busy || confirmDisabled}>
            {busy ? "Working…" : confirmLabel}
          </button>
        </div>
      </div>
    </dialog>
  );
}
