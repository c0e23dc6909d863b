/**
 * One verb per thing a person can do with a saved version, worded once: the versions panel's buttons, their
 * tooltips, the preview dialog, the undo step, the notices and the glossary all read these, so "View",
 * "Copy to canvas", "Restore" and "Review" never drift into near-synonyms (issue 11: Open / Load / Restore).
 */

export interface VersionVerb {
  /** The button's word. */
  readonly label: string;
  /** What it does, in one sentence: the tooltip and the glossary text. */
  readonly help: string;
}

export const VERSION_VERBS = {
  view: {
    label: "View",
    help: "See a version read-only, in its own window; nothing on your canvas changes.",
  },
  copyToCanvas: {
    label: "Copy to canvas",
    help:
      "Put a version's graph on your canvas as unsaved changes (one undo step); save to keep it as a new " +
      "version.",
  },
  restore: {
    label: "Restore",
    help:
      "Make a version the newest one: it is saved again as the next version number, and no version is " +
      "deleted.",
  },
  review: {
    label: "Review",
    help: "Open a version in review mode: your changes become a proposal that the owner can accept.",
  },
} as const satisfies Record<string, VersionVerb>;

/** The undo step of "Copy to canvas". */
export function copyToCanvasStep(versionNumber: number): string {
  return `Copy version ${versionNumber} to canvas`;
}

/** The notice after Restore. */
export function restoredNotice(fromNumber: number, newNumber: number): string {
  return `Restored version ${fromNumber}: it is now version ${newNumber}, the newest.`;
}

/** The notice when Run first saved the canvas (Run always runs a saved version). */
export function savedToRunNotice(versionNumber: number): string {
  return `Saved as version ${versionNumber} (“Saved to run”): a run always uses a saved version.`;
}
