import fs from "node:fs";
import path from "node:path";

const PACKAGE_NAME = "dno-studio";

/**
 * The repository root: the nearest folder at or above the working directory whose package.json is this
 * project's. Bundled server code cannot rely on its own file location (Next moves it under .next/), so
 * paths such as the default database file and prisma/ are resolved from here.
 */
export function repoRoot(): string {
  const override = process.env.DNO_REPO_ROOT;
  if (override) return path.resolve(override);
  let dir = process.cwd();
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(/* turbopackIgnore: true */ manifest)) {
      try {
        const parsed: unknown = JSON.parse(fs.readFileSync(/* turbopackIgnore: true */ manifest, "utf8"));
        if (
          typeof parsed === "object" &&
          parsed !== null &&
          "name" in parsed &&
          parsed.name === PACKAGE_NAME
        ) {
          return dir;
        }
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}
