/**
 * Names and descriptions for imported workflows. Importing the same file twice used to give two workflows
 * with one name, and PNGs carried "From run <cuid>, iteration 12." as their description; people read names
 * and dates, not ids.
 */
import { MAX_WORKFLOW_NAME_LENGTH } from "./workflow-file";

const IMPORTED_SUFFIX = / \(imported \d+\)$/;

/**
 * `wanted` when no workflow is called that yet, else "<name> (imported 2)", "(imported 3)", …: the first
 * free number. A name that already carries the suffix counts on from its root, so importing "X (imported 2)"
 * again gives "X (imported 3)", not "X (imported 2) (imported 2)".
 */
export function uniqueImportName(wanted: string, existingNames: Iterable<string>): string {
  const taken = new Set(existingNames);
  const first = wanted.slice(0, MAX_WORKFLOW_NAME_LENGTH);
  if (!taken.has(first)) return first;
  const root = first.replace(IMPORTED_SUFFIX, "");
  for (let n = 2; ; n++) {
    const suffix = ` (imported ${n})`;
    // Shorten the root, not the suffix, so a long name still shows which copy it is.
    const candidate = `${root.slice(0, MAX_WORKFLOW_NAME_LENGTH - suffix.length).trimEnd()}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The name's root, for a database prefix query over the names it could collide with. */
export function importNameRoot(wanted: string): string {
  return wanted.slice(0, MAX_WORKFLOW_NAME_LENGTH).replace(IMPORTED_SUFFIX, "");
}

const DATE_FORMAT = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  year: "numeric",
  timeZone: "UTC",
});

export interface RunImageSource {
  workflowName: string;
  versionNumber: number;
  iteration: number | null;
  runCreatedAt: Date;
}

/** The description a downloaded run image carries into the workflow it opens as. */
export function runImageDescription(source: RunImageSource): string {
  const step =
    source.iteration === null || source.iteration === 0 ? "the start" : `iteration ${source.iteration}`;
  return `Opened from an image saved at ${step} of a run of “${source.workflowName}” (version ${source.versionNumber}) on ${DATE_FORMAT.format(source.runCreatedAt)}.`;
}

/** Images downloaded before readable descriptions say "From run <id>, iteration N."; keep the step, drop the id. */
const LEGACY_RUN_DESCRIPTION = /^From run [A-Za-z0-9_-]+, iteration (\d+)\.$/;

export function readableImportDescription(description: string, workflowName: string): string {
  const legacy = LEGACY_RUN_DESCRIPTION.exec(description.trim());
  if (!legacy) return description;
  const iteration = Number(legacy[1]);
  const step = iteration === 0 ? "the start" : `iteration ${iteration}`;
  return `Opened from an image saved at ${step} of a run of “${workflowName}”.`;
}
