/** Deletes the e2e database so the server's start-up migrates and seeds a fresh one. */
import fs from "node:fs";
import path from "node:path";

export default function globalSetup(): void {
  const file = path.join(import.meta.dirname, "..", "data", "e2e.db");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (const suffix of ["", "-journal", "-wal", "-shm"]) fs.rmSync(`${file}${suffix}`, { force: true });
}
