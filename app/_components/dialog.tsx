"use client";
/**
 * A modal dialog, operable by keyboard: focus starts inside, Tab and Shift+Tab stay inside (the page behind
 * is inert to the keyboard), Escape or a backdrop click closes it, and focus goes back to what had it before
 * (the button that opened it). Only the topmost of stacked dialogs (a confirmation over a preview) reacts.
 */
import { type ReactNode, useEffect, useRef, useState } from "react";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** Open dialogs, the last one on top. */
const openDialogs: HTMLElement[] = [];

/** The element Tab should move to, or null to let the browser move within the dialog. */
export function trappedFocusTarget<T>(items: readonly T[], active: T | null, backwards: boolean): T | null {
  const first = items[0];
  const last = items.at(-1);
  if (first === undefined || last === undefined) return null;
  const index = active === null ? -1 : items.indexOf(active);
  if (index === -1) return backwards ? last : first;
  if (backwards && index === 0) return last;
  if (!backwards && index === items.length - 1) return first;
  return null;
}

export function Dialog(props: {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  readonly testId: string;
  readonly wide?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // The latest onClose without re-running the effect: a re-render must not move focus or forget the opener.
  const onCloseRef = useRef(props.onClose);
  onCloseRef.current = props.onClose;
  // Read while rendering the dialog for the first time: focus is still on the control that opened it.
  const [opener] = useState(() =>
    typeof document !== "undefined" && document.activeElement instanceof HTMLElement
      ? document.activeElement
      : null,
  );
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    openDialogs.push(dialog);
    const focusable = () =>
      [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((element) => element.offsetParent !== null);
    const onKey = (event: KeyboardEvent) => {
      if (openDialogs.at(-1) !== dialog) return;
      if (event.key === "Escape") {
        event.stopPropagation();
        event.preventDefault();
        onCloseRef.current();
      } else if (event.key === "Tab") {
        const active = document.activeElement instanceof HTMLElement ? document.activeElement : null;
        const items = focusable();
        const target = trappedFocusTarget(
          items,
          active && dialog.contains(active) ? active : null,
          event.shiftKey,
        );
        if (target || items.length === 0) event.preventDefault();
        target?.focus();
      }
    };
    window.addEventListener("keydown", onKey, true);
    const first = dialog.querySelector<HTMLElement>("input, textarea, select, button");
    first?.focus();
    return () => {
      window.removeEventListener("keydown", onKey, true);
      openDialogs.splice(openDialogs.indexOf(dialog), 1);
      // Back to the control that opened the dialog, if it is still on the page.
      if (opener?.isConnected) opener.focus();
    };
  }, [opener]);
  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) props.onClose();
      }}
    >
      <div
        ref={ref}
        className={`dialog${props.wide ? " dialog-wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        data-testid={props.testId}
      >
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/** Asks before a destructive action. */
export function ConfirmDialog(props: {
  readonly title: string;
  readonly message: ReactNode;
  readonly confirmLabel: string;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  readonly busy?: boolean;
}) {
  return (
    <Dialog title={props.title} onClose={props.onCancel} testId="confirm-dialog">
      <div>{props.message}</div>
      <div className="dialog-buttons">
        <button type="button" className="btn" onClick={props.onCancel} data-testid="confirm-dialog.cancel">
          Cancel
        </button>
        <button
          type="button"
          className="btn btn-danger"
          onClick={props.onConfirm}
          disabled={props.busy}
          data-testid="confirm-dialog.confirm"
        >
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
