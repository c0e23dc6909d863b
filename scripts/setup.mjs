// Brings a fresh checkout to a runnable state: dependencies, generated Prisma client, data folder.
// Idempotent and quick when nothing changed. Migrations and example workflows are applied by the app
// itself at start (instrumentation.ts) and by the test setup, against whichever database they use.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { ensureDependencies, ensureNodeVersion, ensurePrismaClient, root, step } from "./lib.mjs";

ensureNodeVersion();
ensureDependencies();
ensurePrismaClient();
mkdirSync(path.join(root, "data"), { recursive: true });
step("Setup complete");
