/**
 * `npm run db:seed`: applies pending migrations and creates the example workflows that are missing. The app
 * does the same on start (instrumentation.ts); this is for scripts and fresh machines.
 */
import { getDb } from "../server/db/client";
import { ensureDatabaseReady } from "../server/db/ready";

ensureDatabaseReady()
  .then(async (report) => {
    for (const name of report.appliedMigrationNames) console.log(`Applied migration ${name}`);
    console.log(
      report.seededExamples.length === 0
        ? "Example workflows already present."
        : `Seeded example workflows: ${report.seededExamples.join(", ")}`,
    );
    await getDb().$disconnect();
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
