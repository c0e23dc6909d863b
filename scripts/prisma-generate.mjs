// Generates the Prisma clients (SQLite and PostgreSQL) into server/db/generated/.
//
// The Prisma CLI wants a native schema engine binary before it does anything, and that binary cannot be
// downloaded on offline machines. `prisma generate` never runs it, so any existing file satisfies the check.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const prismaCli = path.join(repoRoot, "node_modules", "prisma", "build", "index.js");
const schemas = [path.join("prisma", "schema.prisma"), path.join("prisma", "postgresql", "schema.prisma")];

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "/bin/true",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
};
if (!fs.existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;

for (const schema of schemas) {
  const result = spawnSync(process.execPath, [prismaCli, "generate", "--schema", schema], {
    cwd: repoRoot,
    env,
    stdio: "inherit",
  });
  if (result.status !== 0) {
    console.error(`prisma generate failed for ${schema} (exit code ${result.status ?? result.signal}).`);
    process.exit(result.status ?? 1);
  }
}
