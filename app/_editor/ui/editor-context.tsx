"use client";
/**
 * React access to the headless store: one context holding the store, and selector hooks built on
 * useSyncExternalStore so a component re-renders only when the slice it reads changes.
 */
import { createContext, useContext, useSyncExternalStore } from "react";
import type { EditorSnapshot, EditorStore } from "../core/editor-store";

export const EditorStoreContext = createContext<EditorStore | null>(null);

/** True inside read-only views (a version preview): the card shows values but dispatches nothing. */
export const ReadOnlyContext = createContext(false);

export function useEditorStore(): EditorStore {
  const store = useContext(EditorStoreContext);
  if (!store) throw new Error("useEditorStore: no EditorStoreContext provider above this component.");
  return store;
}

/** Reads a slice of the snapshot. Return a stable value (a field of the snapshot, a primitive). */
export function useEditorSelector<T>(select: (snapshot: EditorSnapshot) => T): T {
  const store = useEditorStore();
  return useSyncExternalStore(
    store.subscribe,
    () => select(store.getSnapshot()),
    () => select(store.getSnapshot()),
  );
}
