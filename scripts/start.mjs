// `npm start`: on a fresh machine, installs, generates, builds and starts DNO Studio on its embedded
// default (SQLite file database in data/, the bundled tiny model, the example workflows).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileExists, listenAddress, root, run, step } from "./lib.mjs";

run("node", ["scripts/setup.mjs"]);

step("Applying database migrations and seeding the example workflows");
run("npx", ["tsx", "prisma/migrate.ts", "apply"], {
  hint: "Is DATABASE_URL valid? Default: file:./data/dno-studio.db",
});
run("npx", ["tsx", "prisma/seed.ts"]);

// Rebuild only when the sources changed since the last build (the commit plus uncommitted edits).
const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim();
const dirty = spawnSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" }).stdout;
const stamp = `${head}\n${dirty}`;
const stampFile = path.join(root, ".next", "dno-build-stamp");
const built =
  fileExists(".next/BUILD_ID") &&
  fileExists(".next/dno-build-stamp") &&
  readFileSync(stampFile, "utf8") === stamp;
if (!built) {
  step("Building the app (next build, 1–3 minutes)");
  run("npx", ["next", "build"], { hint: "The build failed; run `npm run typecheck` to see type errors." });
  writeFileSync(stampFile, stamp);
}

const listen = listenAddress();
step(`Starting DNO Studio on ${listen.url}${listen.note}`);
run("npx", ["next", "start", ...listen.args]);
