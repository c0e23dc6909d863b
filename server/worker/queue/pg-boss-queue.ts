/**
 * The run queue on pg-boss (PostgreSQL deployments): one job per queued run, carrying only `{ runId }`, with
 * the run's place in the shared order as the job priority (queuePriority(): band, then round-robin rank;
 * pg-boss breaks ties by creation). The Run row stays the source of truth: a fetched job is completed at
 * once whether or not its run could be claimed (claim-run.ts decides; a run cancelled or already taken is
 * simply skipped), so pg-boss never holds a run's fate, only the order of the line.
 * Dedupe: the queue uses pg-boss's "short" policy with the run id as singleton key, so a run has at most one
 * waiting job however often it is announced; the periodic sweep re-sends a job for every queued run (a
 * crash between the row and the send, a job that expired), and the duplicates fold into the waiting one.
 */
import PgBoss from "pg-boss";
import { type ClaimedRun, claimRun } from "../../services/runs/claim-run";
import type { ServiceContext } from "../../services/context";
import { QUEUE_ORDER, queuePriority } from "../../services/runs/queue-order";
import type { ClaimInput, RunQueue } from "../queue";
import { waitForLocalWake } from "./local-wake";

export const RUN_QUEUE_NAME = "dno-runs";
/** pg-boss's own schema in the application's database (next to Prisma's tables, never among them). */
const BOSS_SCHEMA = "pgboss";
/** Jobs fetched and skipped per claim before the worker waits for the next poll. */
const MAX_SKIPS_PER_CLAIM = 50;
/** A fetched job not completed within this many seconds was lost with its worker. */
const ACTIVE_JOB_LOST_AFTER_S = 30;
/** Queued runs looked at per sweep (first in the queue order). */
const SWEEP_BATCH = 1000;

interface RunJob {
  runId: string;
}

interface BossHolder {
  dnoPgBoss?: Map<string, Promise<PgBoss>>;
}

function bosses(): Map<string, Promise<PgBoss>> {
  const holder = globalThis as BossHolder;
  holder.dnoPgBoss ??= new Map();
  return holder.dnoPgBoss;
}

/**
 * This process's pg-boss on that database, started once (it creates or migrates its own `pgboss` schema
 * under an advisory lock, so several processes may start together) with the run queue created.
 */
export function sharedBoss(databaseUrl: string): Promise<PgBoss> {
  const existing = bosses().get(databaseUrl);
  if (existing) return existing;
  const started = (async () => {
    const boss = new PgBoss({
      connectionString: databaseUrl,
      application_name: "dno-run-queue",
      schema: BOSS_SCHEMA,
      max: 4,
      // No cron schedules here; maintenance (expiring, archiving jobs) runs in every process, locked.
      schedule: false,
    });
    // pg-boss reports connection trouble as "error" events; unhandled, they would end the process.
    boss.on("error", (error) => console.error("Run queue (pg-boss):", error.message));
    await boss.start();
    await boss.createQueue(RUN_QUEUE_NAME, { name: RUN_QUEUE_NAME, policy: "short", retryLimit: 0 });
    return boss;
  })();
  bosses().set(databaseUrl, started);
  started.catch(() => bosses().delete(databaseUrl));
  return started;
}

/** Stops this process's pg-boss instances (worker shutdown, tests). */
export async function closeSharedBosses(): Promise<void> {
  const all = [...bosses().values()];
  bosses().clear();
  await Promise.all(
    all.map(async (started) => {
      const boss = await started.catch(() => null);
      await boss?.stop({ graceful: false, wait: true, timeout: 1000 });
    }),
  );
}

/**
 * Sends a job for each of these runs that is still queued, one insert each in the queue order, so that
 * pg-boss's tie-break (creation time) follows it too; a run that already has a waiting job gets no second
 * one (the "short" policy's unique key). Answers how many runs were queued.
 */
export async function sendRunJobs(
  ctx: ServiceContext,
  databaseUrl: string,
  runIds: string[],
): Promise<number> {
  if (runIds.length === 0) return 0;
  const runs = await ctx.db.run.findMany({
    where: { id: { in: runIds }, status: "queued" },
    orderBy: [...QUEUE_ORDER],
    select: { id: true, priority: true, fairRank: true },
  });
  if (runs.length === 0) return 0;
  const boss = await sharedBoss(databaseUrl);
  for (const run of runs) {
    await boss.insert([
      {
        name: RUN_QUEUE_NAME,
        data: { runId: run.id } satisfies RunJob,
        priority: queuePriority(run),
        singletonKey: run.id,
        retryLimit: 0,
      },
    ]);
  }
  return runs.length;
}

/**
 * Run ids that have a job waiting, or one fetched moments ago (a claim takes milliseconds; a job still
 * active after ACTIVE_JOB_LOST_AFTER_S belonged to a worker that died between fetching and completing it,
 * and pg-boss would only expire it after its own 15 minutes).
 */
async function runIdsWithJobs(boss: PgBoss): Promise<Set<string>> {
  const { rows } = await boss.getDb().executeSql(
    `SELECT singleton_key FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND (state IN ('created', 'retry')
       OR (state = 'active' AND started_on > now() - $2 * interval '1 second'))`,
    [RUN_QUEUE_NAME, ACTIVE_JOB_LOST_AFTER_S],
  );
  const ids = new Set<string>();
  for (const row of rows as { singleton_key: unknown }[]) {
    if (typeof row.singleton_key === "string") ids.add(row.singleton_key);
  }
  return ids;
}

function runIdOf(job: PgBoss.Job<unknown>): string | null {
  const data = job.data;
  if (typeof data === "object" && data !== null && "runId" in data) {
    const runId = (data as { runId: unknown }).runId;
    if (typeof runId === "string" && runId !== "") return runId;
  }
  return null;
}

export function createPgBossRunQueue(ctx: ServiceContext, databaseUrl: string): RunQueue {
  return {
    kind: "pg-boss",
    async enqueue(runIds) {
      await sendRunJobs(ctx, databaseUrl, runIds);
    },
    async claim(input: ClaimInput): Promise<ClaimedRun | null> {
      const boss = await sharedBoss(databaseUrl);
      for (let skipped = 0; skipped < MAX_SKIPS_PER_CLAIM; skipped++) {
        const [job] = await boss.fetch<unknown>(RUN_QUEUE_NAME, { batchSize: 1 });
        if (!job) return null;
        const runId = runIdOf(job);
        try {
          const claimed = runId ? await claimRun(ctx, { ...input, runId }) : null;
          if (claimed) return claimed;
          // Not claimable (cancelled, taken by a duplicate job, finished): the row decided; skip the job.
        } finally {
          // The job only pointed at the run; the lease on the Run row carries it from here.
          await boss.complete(RUN_QUEUE_NAME, job.id).catch(() => undefined);
        }
      }
      return null;
    },
    waitForWork: waitForLocalWake,
    async sweep() {
      const queued = await ctx.db.run.findMany({
        where: { status: "queued" },
        orderBy: [...QUEUE_ORDER],
        take: SWEEP_BATCH,
        select: { id: true },
      });
      if (queued.length === 0) return;
      const withJobs = await runIdsWithJobs(await sharedBoss(databaseUrl));
      const lost = queued.map((run) => run.id).filter((id) => !withJobs.has(id));
      if (lost.length === 0) return;
      console.warn(
        `Run queue: ${lost.length} queued run(s) had no job (a crash between row and send); sent again.`,
      );
      await sendRunJobs(ctx, databaseUrl, lost);
    },
  };
}
