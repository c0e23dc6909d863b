import path from "node:path";
import { repoRoot } from "./repo-root";

export type DatabaseProvider = "sqlite" | "postgresql";

export type DatabaseTarget =
  | { provider: "sqlite"; url: string; filePath: string }
  | { provider: "postgresql"; url: string };

export const DEFAULT_DATABASE_URL = "file:./data/dno-studio.db";

/**
 * Which database a URL names. `file:` URLs are SQLite files (relative paths are taken from the repository
 * root, so the app, the CLI scripts and the tests agree on one file); `postgres://` and `postgresql://` URLs
 * are PostgreSQL servers.
 */
export function resolveDatabaseTarget(url: string, root: string = repoRoot()): DatabaseTarget {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    return { provider: "postgresql", url };
  }
  if (url.startsWith("file:")) {
    const withoutScheme = url.slice("file:".length).split("?")[0] ?? "";
    if (withoutScheme === "") {
      throw new Error(`DATABASE_URL "${url}" has no file path; write it as file:./data/dno-studio.db.`);
    }
    const filePath = path.resolve(root, withoutScheme);
    return { provider: "sqlite", url: `file:${filePath}`, filePath };
  }
  throw new Error(
    `DATABASE_URL "${redactPassword(url)}" is not supported: use file:<path> for SQLite or postgresql://… for PostgreSQL.`,
  );
}

/** The URL with any password replaced, for messages and logs. */
export function redactPassword(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, "//$1:***@");
}
