"use client";
/** Editor keyboard shortcuts (listed in help-panel.tsx). Typing in a field keeps its own keys. */
import { useEffect, useRef } from "react";
import type { EditorStore } from "../core/editor-store";

export interface ShortcutHandlers {
  readonly save: () => void;
  readonly fitView: () => void;
  readonly showHelp: () => void;
}

function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "range", "button", "submit", "file"].includes(target.type);
  }
  return false;
}

export function useEditorShortcuts(store: EditorStore, handlers: ShortcutHandlers, enabled: boolean): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      const typing = isTypingTarget(event.target);
      // Save works everywhere, even while typing in a field.
      if (mod && key === "s") {
        event.preventDefault();
        latest.current.save();
        return;
      }
      // Undo/redo act on the graph even inside fields: the fields show the store's values, so the
      // browser's own text undo would fight with ours.
      if (mod && key === "z") {
        event.preventDefault();
        if (event.shiftKey) store.redo();
        else store.undo();
        return;
      }
      if (mod && key === "y") {
        event.preventDefault();
        store.redo();
        return;
      }
      if (typing) return;
      if (mod && key === "c") {
        if (store.copy() > 0) event.preventDefault();
        return;
      }
      if (mod && key === "v") {
        if (store.paste().length > 0) event.preventDefault();
        return;
      }
      if (mod && key === "a") {
        event.preventDefault();
        store.selectAll();
        return;
      }
      if (mod || event.altKey) return;
      if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        store.deleteSelection();
      } else if (event.key === "Escape") {
        store.clearSelection();
      } else if (event.key === "?") {
        event.preventDefault();
        latest.current.showHelp();
      } else if (key === "f") {
        latest.current.fitView();
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [store, enabled]);
}
