/**
 * Messages the command-line tools print: a sentence that says what failed and what to do, never a stack
 * trace or a Node error code alone.
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import { sanitizeErrorMessage } from "../sanitize-message";

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOTDIR: "part of that path is a file, not a folder",
  EEXIST: "a file of that name is in the way",
  ENOSPC: "the disk is full",
  EISDIR: "a folder of that name is in the way",
};

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined;
}

/** “Cannot write to --out out/x: permission denied. Choose a folder you can write to.” */
export function outDirFailureMessage(dir: string, error: unknown): string {
  const code = errorCode(error);
  const reason =
    (code && REASONS[code]) ?? sanitizeErrorMessage(error instanceof Error ? error.message : String(error));
  return `Cannot write to --out ${dir}: ${reason}. Choose a folder you can write to.`;
}

export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Creates the output folder and checks it is writable, before any long computation starts. */
export function prepareOutDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new CliError(outDirFailureMessage(dir, error), 2);
  }
}

/** The one line a tool prints for an error it did not expect: the cause in words, no stack. */
export function unexpectedFailureMessage(error: unknown): string {
  const text = sanitizeErrorMessage(error instanceof Error ? error.message : String(error));
  return `${text} (this is unexpected; if it persists, report it with the workflow file)`;
}
