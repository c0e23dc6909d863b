"use client";
/** A modal dialog: backdrop click and Escape close it; focus starts inside. */
import { type ReactNode, useEffect, useRef } from "react";

export function Dialog(props: {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  readonly testId: string;
  readonly wide?: boolean;
}) {
  const { onClose } = props;
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        onClose();
      }
    };
    window.addEventListener("keydown", onKey, true);
    const first = ref.current?.querySelector<HTMLElement>("input, textarea, select, button");
    first?.focus();
    return () => window.removeEventListener("keydown", onKey, true);
  }, [onClose]);
  return (
    <div
      className="dialog-backdrop"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) onClose();
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
