/**
 * Next.js start hook: before the server answers its first request, the database is migrated and the example
 * workflows are seeded, so a fresh machine needs no separate setup step.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { ensureDatabaseReady } = await import("./server/db/ready");
  const report = await ensureDatabaseReady();
  if (report.appliedMigrationNames.length > 0) {
    console.log(`Database migrated: ${report.appliedMigrationNames.join(", ")}`);
  }
  if (report.seededExamples.length > 0)
    console.log(`Seeded example workflows: ${report.seededExamples.join(", ")}`);
  // On PostgreSQL: run events (progress, cancels) to and from worker processes over LISTEN/NOTIFY.
  const { startRunEventBridge } = await import("./server/worker/run-event-bridge");
  startRunEventBridge();
  // The embedded run worker marks runs a previous process left running as interrupted, then takes queued runs.
  const { ensureEmbeddedWorker } = await import("./server/worker/start-worker");
  ensureEmbeddedWorker().catch(() => undefined);
}
