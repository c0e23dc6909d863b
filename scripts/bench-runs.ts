/**
 * Run pipeline benchmark against the BUILT app (`next build` first): the time from the Run request to the
 * first progress events in a client, and the sustained event throughput of the live-progress stream.
 *
 *   npm run bench:runs [-- --url http://127.0.0.1:3100] [--steps N] [--iterations N] [--subscribers N]
 *                      [--samples N]
 *
 * Without --url it starts `next start` on 127.0.0.1 and a free port with a fresh database and data folder.
 * It runs the seeded "Brighten with a guard" example (bundled model) once to warm up (model load, VJP
 * build), then measures --samples more runs (default and minimum 5), one after another, with the
 * Optimizer's iteration count shortened (default 10) and the Sampler's steps as seeded (50) unless --steps
 * is given. Per run:
 *   first_status_ms     Run request → first SSE event (the run's status: queued/running)
 *   first_event_ms      Run request → first ITERATION event (metrics + image URL) in the client
 *   events_per_s        iteration events delivered per second, summed over --subscribers SSE clients
 *                       watching the run (from its first to its last iteration event)
 * The JSON reports medians over the measured runs, with the 90th percentile of the times and the 10th of
 * the throughput (the slow side of each; nearest rank, scripts/stats.ts). The last line is one JSON object:
 *   {"first_event_ms":…,"first_event_p90_ms":…,"first_status_ms":…,"first_status_p90_ms":…,
 *    "events_per_s":…,"events_per_s_p10":…,"samples":…}
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@/server/api/root";
import { describeSummary, percentile, round, summarize } from "./stats";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    url: { type: "string" },
    steps: { type: "string" },
    iterations: { type: "string", default: "10" },
    subscribers: { type: "string", default: "10" },
    samples: { type: "string", default: "5" },
  },
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitForServer(url: string, child: ChildProcess | null): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`next start exited with ${child.exitCode}; run \`next build\` first.`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`The app at ${url} did not answer within 2 minutes.`);
}

interface SseEvent {
  at: number;
  type: string;
}

/** Minimal server-sent-events reader over fetch (Node 20 has no EventSource), decoding tRPC's superjson. */
async function watchProgress(
  baseUrl: string,
  runId: string,
  onEvent: (event: SseEvent) => void,
): Promise<void> {
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ runId })));
  const response = await fetch(`${baseUrl}/api/trpc/run.progress?input=${input}`, {
    headers: { accept: "text/event-stream" },
  });
  if (!response.ok || !response.body) throw new Error(`progress stream answered ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      if (lines.some((line) => line.startsWith("event:"))) continue; // connected / ping / return
      const data = lines
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (!data) continue;
      const event = superjson.deserialize(JSON.parse(data)) as { type: string; run?: { status: string } };
      onEvent({ at: performance.now(), type: event.type });
      if (
        event.type === "status" &&
        event.run &&
        ["succeeded", "failed", "cancelled", "interrupted"].includes(event.run.status)
      ) {
        await reader.cancel();
        return;
      }
    }
  }
}

async function main(): Promise<void> {
  let child: ChildProcess | null = null;
  let dataDir: string | null = null;
  let baseUrl = values.url;
  if (!baseUrl) {
    const port = await freePort();
    dataDir = mkdtempSync(path.join(os.tmpdir(), "dno-bench-runs-"));
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)],
      {
        env: {
          ...process.env,
          DATABASE_URL: `file:${path.join(dataDir, "bench.db")}`,
          DNO_DATA_DIR: dataDir,
          NODE_ENV: "production",
          NEXT_TELEMETRY_DISABLED: "1",
        },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
  }
  try {
    await waitForServer(`${baseUrl}/`, child);
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${baseUrl}/api/trpc`, transformer: superjson })],
    });
    const example = (await client.workflow.list.query()).find(
      (entry) => entry.exampleSlug === "brighten-with-a-guard",
    );
    if (!example) throw new Error("The seeded example “Brighten with a guard” is missing.");
    const workflow = await client.workflow.get.query({ workflowId: example.id });
    const document = structuredClone(workflow.document);
    for (const node of document.nodes) {
      if (node.type === "optimizer") node.params = { ...node.params, iterations: Number(values.iterations) };
      if (node.type === "sampler" && values.steps)
        node.params = { ...node.params, steps: Number(values.steps) };
    }
    const steps = document.nodes.find((node) => node.type === "sampler")?.params.steps;
    const saved = await client.workflow.save.mutate({
      workflowId: workflow.id,
      baseVersionId: workflow.headVersion.id,
      document,
      message: "bench:runs",
    });
    const versionId = saved.version.id;

    const measure = async (subscribers: number) => {
      const requestedAt = performance.now();
      const { run } = await client.run.start.mutate({ workflowId: workflow.id, versionId });
      const firstEvent: number[] = [];
      const iterationTimes: number[][] = Array.from({ length: subscribers }, () => []);
      await Promise.all(
        iterationTimes.map((times, index) =>
          watchProgress(baseUrl, run.id, (event) => {
            if (index === 0 && firstEvent.length === 0) firstEvent.push(event.at);
            if (event.type === "iteration") times.push(event.at);
          }),
        ),
      );
      const detail = await client.run.get.query({ runId: run.id });
      if (detail.status !== "succeeded")
        throw new Error(`The run ended ${detail.status}: ${detail.error ?? ""}`);
      const all = iterationTimes.flat();
      const span = (Math.max(...all) - Math.min(...all)) / 1000;
      return {
        firstStatusMs: (firstEvent[0] ?? Number.NaN) - requestedAt,
        firstIterationMs: (iterationTimes[0]?.[0] ?? Number.NaN) - requestedAt,
        eventsPerSecond: span > 0 ? all.length / span : Number.NaN,
        iterations: detail.iterationsDone,
        perIterationMs: (detail.durationMs ?? 0) / Math.max(1, detail.iterationsDone),
      };
    };

    const cold = await measure(1);
    console.log(
      `warm-up run (cold model, VJP build): first status ${cold.firstStatusMs.toFixed(0)} ms, first iteration ${cold.firstIterationMs.toFixed(0)} ms`,
    );
    const subscribers = Math.max(1, Number(values.subscribers));
    const samples = Math.max(5, Number(values.samples) || 5);
    const runs: Awaited<ReturnType<typeof measure>>[] = [];
    for (let sample = 1; sample <= samples; sample++) {
      const run = await measure(subscribers);
      runs.push(run);
      console.log(
        `run ${sample}/${samples}: ${run.iterations} iterations × ${steps} sampler steps, ${run.perIterationMs.toFixed(0)} ms per iteration, ${subscribers} SSE subscribers; first status ${run.firstStatusMs.toFixed(0)} ms, first iteration ${run.firstIterationMs.toFixed(0)} ms, ${run.eventsPerSecond.toFixed(2)} events/s`,
      );
    }
    const firstEvent = summarize(runs.map((run) => run.firstIterationMs));
    const firstStatus = summarize(runs.map((run) => run.firstStatusMs));
    const rates = runs.map((run) => run.eventsPerSecond);
    const rate = summarize(rates);
    console.log(`first iteration event: ${describeSummary(firstEvent, "ms", 0)} runs`);
    console.log(`first status event: ${describeSummary(firstStatus, "ms", 0)} runs`);
    console.log(`events/s: median ${rate.median.toFixed(2)}, p10 ${percentile(rates, 10).toFixed(2)}`);
    console.log(
      JSON.stringify({
        first_event_ms: Math.round(firstEvent.median),
        first_event_p90_ms: Math.round(firstEvent.p90),
        first_status_ms: Math.round(firstStatus.median),
        first_status_p90_ms: Math.round(firstStatus.p90),
        events_per_s: round(rate.median, 2),
        events_per_s_p10: round(percentile(rates, 10), 2),
        samples: runs.length,
      }),
    );
  } finally {
    if (child) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child?.once("exit", resolve));
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
