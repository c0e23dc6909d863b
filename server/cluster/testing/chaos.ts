/**
 * The cluster chaos scenario (issue 13), run by e2e/cluster-chaos.spec.ts through chaos-main.ts: a cluster
 * (cluster.ts) with three workers; two accounts submit 30 small runs through the web server's API with
 * their API tokens; every few seconds a random worker is SIGKILLed and a fresh one started. It returns what
 * it saw and every broken rule as a sentence (`problems`):
 *   - all runs succeeded, none lost (one Run row each), none finished twice (one "run finished" activity
 *     per run, each run having its own workflow; the workers' runsDone add up to the number of runs);
 *   - each run has exactly one RunStep per iteration, 0…N−1 without gaps;
 *   - every step's metrics and image sha256 equal the same run executed uninterrupted in one process;
 *   - the progress streams followed through the web server delivered every iteration, in order, then the
 *     final status;
 *   - the web server serves the images the workers wrote (through the shared store, not its own disk);
 *   - the chaos did hit (kills, runs claimed more than once).
 * It runs under tsx, not in Playwright's loader (which cannot import the app's JSON modules).
 */
import { apiClient, followProgress, type ReceivedProgressEvent } from "./api-client";
import { type Cluster, startCluster } from "./cluster";
import {
  createClusterAccounts,
  referenceRuns,
  type StepFingerprint,
  sha256,
  smallRunDocument,
  storedSteps,
  submitRun,
} from "./workload";

export interface ChaosOptions {
  postgresServerUrl: string;
  web?: "next" | "node";
  runs?: number;
  iterations?: number;
  samplerSteps?: number;
  workers?: number;
  /** Progress streams followed through the web server. */
  watched?: number;
  /** How long workers are killed; the runs then get as long again to finish. */
  chaosMs?: number;
  /** Seed of the kill schedule (printed, so a failure replays). */
  seed?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  runs: number;
  succeeded: number;
  kills: number;
  /** Runs claimed more than once (taken over after a kill). */
  resumedRuns: number;
  watchedStreams: number;
  completeStreams: number;
  /** Runs compared step by step with their uninterrupted reference. */
  comparedRuns: number;
  seconds: number;
  problems: string[];
}

/** Small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function describeDifference(
  runId: string,
  stored: StepFingerprint[],
  reference: StepFingerprint[],
): string | null {
  for (let index = 0; index < Math.max(stored.length, reference.length); index++) {
    const got = stored[index];
    const want = reference[index];
    if (!got || !want)
      return `run ${runId}: ${stored.length} steps stored, the reference has ${reference.length}`;
    if (got.imageSha256 !== want.imageSha256)
      return `run ${runId}: iteration ${want.iteration}'s image differs from the uninterrupted run (sha256 ${got.imageSha256.slice(0, 12)} vs ${want.imageSha256.slice(0, 12)})`;
    if (JSON.stringify(got.metrics) !== JSON.stringify(want.metrics))
      return `run ${runId}: iteration ${want.iteration}'s metrics differ from the uninterrupted run: ${JSON.stringify(got.metrics)} vs ${JSON.stringify(want.metrics)}`;
  }
  return null;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const runCount = options.runs ?? 30;
  const iterations = options.iterations ?? 6;
  const samplerSteps = options.samplerSteps ?? 4;
  const watched = options.watched ?? 8;
  const chaosMs = options.chaosMs ?? 60_000;
  const seed = options.seed ?? Date.now() % 1_000_000;
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const problems: string[] = [];
  const report: ChaosReport = {
    seed,
    runs: runCount,
    succeeded: 0,
    kills: 0,
    resumedRuns: 0,
    watchedStreams: 0,
    completeStreams: 0,
    comparedRuns: 0,
    seconds: 0,
    problems,
  };
  log(`chaos: seed ${seed}`);
  let cluster: Cluster | null = null;
  // Set when the scenario stops early: the kill loop must not start workers into a torn-down cluster.
  let halted = false;
  try {
    cluster = await startCluster({
      postgresServerUrl: options.postgresServerUrl,
      workers: options.workers ?? 3,
      ...(options.web ? { web: options.web } : {}),
      // A killed worker's run is queued again within seconds, yet a live worker whose event loop a long
      // native call held up on a crowded machine keeps its lease.
      leaseMs: 4000,
      heartbeatMs: 500,
      // Random kills may hit the same run several times; failing a run after N claims is tested elsewhere.
      maxAttempts: 50,
      log,
    });
    const live = cluster;
    const accounts = await createClusterAccounts(live.db, 2);
    const documents = Array.from({ length: runCount }, (_, index) =>
      smallRunDocument({ seed: 1000 + index, steps: samplerSteps, iterations }),
    );

    // SIGKILL a random worker every 3–6 s and start a fresh one, from the first submission until the runs
    // are done or time is up (the runs then get at least two more minutes).
    const runIds: string[] = new Array(runCount);
    let submitted = false;
    const chaosStart = Date.now();
    const next = random(seed);
    const finishedCount = () =>
      live.db.run.count({
        where: { id: { in: runIds.filter(Boolean) }, status: { in: ["succeeded", "failed", "cancelled"] } },
      });
    const chaos = (async () => {
      const starting: Promise<unknown>[] = [];
      const deadline = chaosStart + chaosMs + Math.max(chaosMs, 120_000);
      while (!halted && Date.now() < deadline && (!submitted || (await finishedCount()) < runCount)) {
        const killing = Date.now() - chaosStart < chaosMs;
        await new Promise((resolve) => setTimeout(resolve, killing ? 3000 + next() * 3000 : 500));
        if (halted || Date.now() - chaosStart > chaosMs) continue;
        // Workers that are taking runs (killing one still starting would test little).
        const workers = live.workers().filter((worker) => worker.ready);
        const victim = workers[Math.floor(next() * workers.length)];
        if (!victim) continue;
        await live.signalWorker(victim, "SIGKILL");
        report.kills++;
        const replacement = live.startWorker();
        replacement.catch(() => undefined); // awaited below
        starting.push(replacement);
      }
      await Promise.all(starting);
    })();
    chaos.catch(() => undefined); // awaited below

    // Submit through the API, both accounts at once; follow some runs' progress from the first moment.
    const streams: { runId: string; events: Promise<ReceivedProgressEvent[]> }[] = [];
    await Promise.all(
      accounts.map(async (account, accountIndex) => {
        for (let index = accountIndex; index < runCount; index += accounts.length) {
          const document = documents[index];
          if (!document) continue;
          const runId = await submitRun(apiClient(live.webUrl, account.token), `Chaos ${index}`, document);
          runIds[index] = runId;
          if (index < watched) {
            const events = followProgress(live.webUrl, account.token, runId);
            events.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
            streams.push({ runId, events });
          }
        }
      }),
    );
    submitted = true;
    log(`chaos: submitted ${runCount} runs`);
    await chaos;
    log(`chaos: ${report.kills} workers killed; ${await finishedCount()} of ${runCount} runs finished`);

    // None lost, none failed.
    const runs = await live.db.run.findMany({ where: { id: { in: runIds } } });
    if (runs.length !== runCount) problems.push(`${runCount} runs submitted, ${runs.length} Run rows found`);
    for (const run of runs) {
      if (run.status !== "succeeded")
        problems.push(`run ${run.id} ended ${run.status}${run.error ? `: ${run.error}` : ""}`);
      else report.succeeded++;
      if (run.iterationsDone !== iterations)
        problems.push(`run ${run.id} records ${run.iterationsDone} iterations done, ${iterations} planned`);
    }
    report.resumedRuns = runs.filter((run) => run.attempts > 1).length;
    if (report.kills < 3) problems.push(`only ${report.kills} workers were killed (at least 3 expected)`);
    if (report.resumedRuns === 0)
      problems.push("no run was claimed twice: the kills never hit a running run");

    // Each run finished once.
    const finishes = await live.db.activity.groupBy({
      by: ["workflowId"],
      where: { kind: "run-finished", workflowId: { in: runs.map((run) => run.workflowId) } },
      _count: { _all: true },
    });
    const finishCount = new Map(finishes.map((row) => [row.workflowId, row._count._all]));
    for (const run of runs) {
      const count = finishCount.get(run.workflowId) ?? 0;
      if (count !== 1) problems.push(`run ${run.id} was finished ${count} times`);
    }

    // …and the workers' own count agrees (finish and runsDone are one transaction).
    const done = await live.db.worker.aggregate({ _sum: { runsDone: true } });
    if ((done._sum.runsDone ?? 0) !== runCount)
      problems.push(`the workers count ${done._sum.runsDone ?? 0} finished runs, ${runCount} expected`);

    // One step per iteration, contiguous (read before the cluster goes away).
    const stored = await Promise.all(runIds.map((runId) => storedSteps(live.db, runId)));
    const expected = Array.from({ length: iterations }, (_, index) => index).join(",");
    for (const [index, steps] of stored.entries()) {
      const got = steps.map((step) => step.iteration).join(",");
      if (got !== expected)
        problems.push(`run ${runIds[index]} stored iterations [${got}], expected [${expected}]`);
    }

    // Progress streams through the web server: every iteration, in order, then the final status.
    const settled = await Promise.allSettled(streams.map((stream) => stream.events));
    report.watchedStreams = settled.length;
    for (const [index, outcome] of settled.entries()) {
      const runId = streams[index]?.runId;
      if (outcome.status === "rejected") {
        problems.push(`the progress stream of run ${runId} failed: ${String(outcome.reason)}`);
        continue;
      }
      const got = outcome.value
        .flatMap((entry) => (entry.event.type === "iteration" ? [entry.event.step.iteration] : []))
        .join(",");
      const last = outcome.value.at(-1)?.event;
      const status = last?.type === "status" ? last.run.status : `a ${last?.type ?? "missing"} event`;
      if (got !== expected)
        problems.push(`the progress stream of run ${runId} delivered iterations [${got}]`);
      else if (status !== "succeeded")
        problems.push(`the progress stream of run ${runId} ended with ${status}`);
      else report.completeStreams++;
    }

    // The web server serves what the workers wrote.
    for (const [index, runId] of runIds.slice(0, 4).entries()) {
      const step = await live.db.runStep.findFirst({
        where: { runId, iteration: iterations - 1 },
        include: { imageArtifact: true },
      });
      const artifact = step?.imageArtifact;
      if (!artifact) {
        problems.push(`run ${runId} has no image for its last iteration`);
        continue;
      }
      const response = await fetch(`${live.webUrl}/api/artifacts/${encodeURIComponent(artifact.id)}`, {
        headers: { authorization: `Bearer ${accounts[index % 2]?.token}` },
      });
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (response.status !== 200)
        problems.push(`the web server answered ${response.status} for run ${runId}'s last image`);
      else if (sha256(bytes) !== artifact.sha256)
        problems.push(
          `the web server served other bytes than the worker stored for run ${runId}'s last image`,
        );
    }

    // Free the cores before the reference runs.
    await live.stop();
    cluster = null;

    // Bit-identical to the same runs executed uninterrupted in one process.
    const references = await referenceRuns(documents);
    for (const [index, steps] of stored.entries()) {
      const reference = references[index] ?? [];
      const difference = describeDifference(runIds[index] ?? "?", steps, reference);
      if (difference) problems.push(difference);
      else report.comparedRuns++;
    }
    log(`chaos: ${report.comparedRuns} of ${runCount} runs equal their uninterrupted reference`);
  } catch (error) {
    problems.push(`the scenario stopped: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    halted = true;
    if (problems.length > 0)
      for (const processInfo of cluster?.processes() ?? [])
        log(`--- ${processInfo.name} (pid ${processInfo.pid}), last lines ---\n${processInfo.tail()}`);
    await cluster?.stop();
  }
  report.seconds = Math.round((Date.now() - started) / 1000);
  return report;
}
