/**
 * Cluster benchmark (issue 13): real worker processes, the real queue, real runs of the bundled tiny model,
 * on the cluster harness (server/cluster/testing/cluster.ts: a throwaway PostgreSQL database on
 * DNO_TEST_POSTGRES_URL's server, a local S3 server, one web server, two workers with ORT_THREADS=1).
 *
 *   npm run bench:cluster [-- --reps N] [--runs N] [--claims N] [--steps N] [--iterations N] [--web next|node]
 *
 * The web server is `next start` of the production build when there is one (`next build`), else the app's
 * tRPC handler in a plain Node server (--web forces either). After a warm-up run on each worker (model load,
 * VJP build), --reps repetitions (default 3), each of, interleaved (the order of the first two alternates):
 *   runs_per_min_1   --runs runs (default 6) queued at once with ONE worker taking runs (the other frozen
 *                    with SIGSTOP while idle): runs ÷ (last finish − first queued), per minute
 *   runs_per_min_2   the same with both workers
 *   claim_ms         --claims single runs (default 3) queued while every worker is idle: the run's
 *                    queued time (Run.createdAt, written by the web server) to its claim (Run.startedAt,
 *                    written by the worker that claimed it)
 *   event_latency_ms every iteration of those runs: from the worker publishing it (the timestamp the event
 *                    bridge puts in its NOTIFY) to this process reading it from the web server's progress
 *                    stream (server-sent events) — worker → PostgreSQL → web server → client
 *   notify_latency_ms the same events read by a LISTEN connection of this process (no web server)
 * Without the bridge's timestamp (no NOTIFY seen) the step row's createdAt stands in for the publish time.
 * free_cores: idle CPU time over the 2 s before the cluster starts × cores (/proc/stat).
 * Progress goes to stderr; the LAST stdout line is one JSON object:
 *   {"workers":2,"claim_ms_p50":…,"claim_ms_p90":…,"event_latency_ms_p50":…,"event_latency_ms_p95":…,
 *    "notify_latency_ms_p50":…,"runs_per_min_1":…,"runs_per_min_2":…,"speedup":…,"free_cores":…,"cores":…}
 * Medians (and p90/p95, nearest rank) over the repetitions (scripts/stats.ts).
 */
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { apiClient, followProgress } from "@/server/cluster/testing/api-client";
import { type ClusterProcess, postgresServerUrl, startCluster } from "@/server/cluster/testing/cluster";
import { createClusterAccounts, smallRunDocument, submitRun } from "@/server/cluster/testing/workload";
import { median, percentile, round } from "./stats";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    reps: { type: "string", default: "3" },
    runs: { type: "string", default: "6" },
    claims: { type: "string", default: "3" },
    steps: { type: "string", default: "8" },
    iterations: { type: "string", default: "8" },
    web: { type: "string" },
  },
});

const say = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The event bridge's channel (server/worker/run-event-bridge.ts). */
const RUN_EVENT_CHANNEL = "dno_run_events";

function cpuTimes(): { idle: number; total: number } {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle + iowait is time nobody wanted the CPU.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { idle, total: fields.slice(0, 8).reduce((sum, value) => sum + value, 0) };
}

async function freeCores(ms: number): Promise<number> {
  if (!fs.existsSync("/proc/stat")) return Number.NaN;
  const before = cpuTimes();
  await sleep(ms);
  const after = cpuTimes();
  const total = after.total - before.total;
  return total > 0 ? ((after.idle - before.idle) / total) * os.availableParallelism() : Number.NaN;
}

function positive(name: string, text: string | undefined, minimum = 1): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum)
    throw new Error(`--${name} must be a whole number ≥ ${minimum}; got ${text}.`);
  return value;
}

async function main(): Promise<void> {
  const serverUrl = postgresServerUrl();
  if (!serverUrl)
    throw new Error(
      "Set DNO_TEST_POSTGRES_URL to a PostgreSQL server where the user may create databases, e.g. postgresql://dno:dno@127.0.0.1:5432/postgres.",
    );
  const reps = positive("reps", values.reps);
  const runsPerBatch = positive("runs", values.runs, 2);
  const claimsPerRep = positive("claims", values.claims);
  const steps = positive("steps", values.steps);
  const iterations = positive("iterations", values.iterations);
  const web = values.web === "next" || values.web === "node" ? values.web : undefined;

  const cores = os.availableParallelism();
  const free = await freeCores(2000);
  say(`bench:cluster: ${free.toFixed(1)} of ${cores} cores free before the start`);

  const cluster = await startCluster({
    postgresServerUrl: serverUrl,
    workers: 2,
    ...(web ? { web } : {}),
    log: say,
  });
  const listener = new pg.Client({ connectionString: cluster.databaseUrl });
  try {
    const [account] = await createClusterAccounts(cluster.db, 1);
    if (!account) throw new Error("no account");
    const client = apiClient(cluster.webUrl, account.token);

    // When each iteration was published, from the bridge's notifications (sender clock, same machine).
    const publishedAt = new Map<string, number>();
    const notifiedAt = new Map<string, number>();
    const notifyLatencies: number[] = [];
    await listener.connect();
    listener.on("notification", (message) => {
      const receivedAt = Date.now();
      try {
        const envelope = JSON.parse(message.payload ?? "{}") as {
          t?: number;
          e?: { type?: string; runId?: string; step?: { iteration?: number } };
          p?: { type?: string; runId?: string; iteration?: number };
        };
        const runId = envelope.e?.runId ?? envelope.p?.runId;
        const iteration = envelope.e?.step?.iteration ?? envelope.p?.iteration;
        const type = envelope.e?.type ?? envelope.p?.type;
        if (type !== "iteration" || typeof envelope.t !== "number" || runId === undefined) return;
        publishedAt.set(`${runId}:${iteration}`, envelope.t);
        notifiedAt.set(`${runId}:${iteration}`, receivedAt);
      } catch {
        // Not ours.
      }
    });
    await listener.query(`LISTEN ${RUN_EVENT_CHANNEL}`);

    let seed = 5000;
    const document = () => smallRunDocument({ seed: seed++, steps, iterations });
    const waitFinished = async (runIds: string[], timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const runs = await cluster.db.run.findMany({ where: { id: { in: runIds } } });
        const open = runs.filter((run) => !["succeeded", "failed", "cancelled"].includes(run.status));
        const failed = runs.filter((run) => run.status !== "succeeded" && !open.includes(run));
        if (failed.length > 0)
          throw new Error(`A benchmark run ended ${failed[0]?.status}: ${failed[0]?.error ?? ""}`);
        if (open.length === 0) return runs;
        if (Date.now() > deadline)
          throw new Error(`${open.length} benchmark run(s) did not finish within ${timeoutMs / 1000} s.`);
        await sleep(50);
      }
    };
    const [first, second] = cluster.workers() as [ClusterProcess, ClusterProcess];
    const alone = async <T>(worker: ClusterProcess, work: () => Promise<T>): Promise<T> => {
      const other = worker === first ? second : first;
      cluster.pauseWorker(other, true);
      try {
        return await work();
      } finally {
        cluster.pauseWorker(other, false);
      }
    };

    // Warm-up: one run on each worker (ONNX sessions, VJP models), not measured.
    for (const worker of [first, second]) {
      await alone(worker, async () => {
        const runId = await submitRun(client, "bench warm-up", document());
        await waitFinished([runId], 120_000);
      });
    }
    say("bench:cluster: both workers warm");

    const batch = async (workers: 1 | 2): Promise<number> => {
      const work = async () => {
        const runIds: string[] = [];
        for (let index = 0; index < runsPerBatch; index++)
          runIds.push(await submitRun(client, `bench ${workers}`, document()));
        const runs = await waitFinished(runIds, 300_000);
        const start = Math.min(...runs.map((run) => run.createdAt.getTime()));
        const end = Math.max(...runs.map((run) => run.finishedAt?.getTime() ?? Number.NaN));
        return runsPerBatch / ((end - start) / 60_000);
      };
      return workers === 1 ? alone(first, work) : work();
    };

    const claims: number[] = [];
    const eventLatencies: number[] = [];
    let fallbackTimestamps = 0;
    const claimSample = async () => {
      await sleep(300); // every worker back to waiting for work
      const runId = await submitRun(client, "bench claim", document());
      const stream = await followProgress(cluster.webUrl, account.token, runId);
      const [run] = await waitFinished([runId], 120_000);
      if (!run?.startedAt) throw new Error("The run has no start time.");
      claims.push(run.startedAt.getTime() - run.createdAt.getTime());
      const stored = await cluster.db.runStep.findMany({ where: { runId } });
      for (const entry of stream) {
        if (entry.event.type !== "iteration") continue;
        const iteration = entry.event.step.iteration;
        let sentAt = publishedAt.get(`${runId}:${iteration}`);
        const notified = notifiedAt.get(`${runId}:${iteration}`);
        if (sentAt !== undefined && notified !== undefined) notifyLatencies.push(notified - sentAt);
        if (sentAt === undefined) {
          fallbackTimestamps++;
          sentAt = stored.find((step) => step.iteration === iteration)?.createdAt.getTime();
        }
        if (sentAt !== undefined) eventLatencies.push(entry.receivedAt - sentAt);
      }
    };

    const perMinute: Record<1 | 2, number[]> = { 1: [], 2: [] };
    for (let rep = 1; rep <= reps; rep++) {
      const order: (1 | 2)[] = rep % 2 === 1 ? [1, 2] : [2, 1];
      for (const workers of order) {
        const rate = await batch(workers);
        perMinute[workers].push(rate);
        say(`rep ${rep}/${reps}: ${runsPerBatch} runs on ${workers} worker(s): ${rate.toFixed(1)} runs/min`);
      }
      for (let sample = 0; sample < claimsPerRep; sample++) await claimSample();
      say(
        `rep ${rep}/${reps}: claim ${claims.slice(-claimsPerRep).join(", ")} ms; ${eventLatencies.length} event latencies so far`,
      );
    }
    if (fallbackTimestamps > 0)
      say(
        `bench:cluster: ${fallbackTimestamps} iteration(s) had no NOTIFY from the event bridge; their step rows' createdAt stood in for the publish time`,
      );

    const rate1 = median(perMinute[1]);
    const rate2 = median(perMinute[2]);
    say(
      `runs/min: 1 worker ${rate1.toFixed(1)} (p10 ${percentile(perMinute[1], 10).toFixed(1)}), 2 workers ${rate2.toFixed(1)} (p10 ${percentile(perMinute[2], 10).toFixed(1)}) → ×${(rate2 / rate1).toFixed(2)}`,
    );
    say(
      `claim: median ${median(claims).toFixed(0)} ms, p90 ${percentile(claims, 90).toFixed(0)} ms over ${claims.length}; event latency: median ${median(eventLatencies).toFixed(0)} ms, p95 ${percentile(eventLatencies, 95).toFixed(0)} ms over ${eventLatencies.length}`,
    );
    console.log(
      JSON.stringify({
        workers: 2,
        claim_ms_p50: Math.round(median(claims)),
        claim_ms_p90: Math.round(percentile(claims, 90)),
        event_latency_ms_p50: Math.round(median(eventLatencies)),
        event_latency_ms_p95: Math.round(percentile(eventLatencies, 95)),
        notify_latency_ms_p50: notifyLatencies.length > 0 ? Math.round(median(notifyLatencies)) : null,
        runs_per_min_1: round(rate1, 1),
        runs_per_min_2: round(rate2, 1),
        speedup: round(rate2 / rate1, 2),
        free_cores: round(free, 1),
        cores,
      }),
    );
  } finally {
    await listener.end().catch(() => undefined);
    await cluster.stop();
  }
}

main().catch((error: unknown) => {
  say(`bench:cluster failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
