// Deletes the e2e database right before `next start`, so the server's start-up migrates and seeds a fresh
// one. (Playwright starts its webServer BEFORE globalSetup, so a globalSetup would delete the file under a
// running server; the web server's own command is the one place that runs first.)
import fs from "node:fs";
import path from "node:path";

const file = process.argv[2];
if (!file) throw new Error("usage: node e2e/reset-e2e-db.mjs <database file>");
fs.mkdirSync(path.dirname(file), { recursive: true });
for (const suffix of ["", "-journal", "-wal", "-shm"]) fs.rmSync(`${file}${suffix}`, { force: true });
