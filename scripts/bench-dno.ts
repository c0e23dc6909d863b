/**
 * DNO benchmark on the bundled model, run the way the app's run worker runs it: through the worker's
 * executor (server/worker/dno-executor.ts → runDno, probability regularization computed in-thread, as the
 * app does). 50 DDIM steps, eta = 1, guidance 5, brightness reward, probability regularization (γ = 1, 100
 * permutations), Adam. Each iteration is followed by one plain generation (sample + decode) with the same
 * noise, so both are measured under the same machine load (interleaved). The first iteration (it also
 * builds or loads the VJP sessions) and its generation are left out.
 *
 * Prints the per-iteration milliseconds split into forward, backward, rewards, guards and update, and the
 * share of iteration time spent outside ONNX Runtime. The JSON line reports medians and 90th percentiles
 * (scripts/stats.ts); iter_over_generate is the median of each iteration's ratio to the generation right
 * after it. Last line:
 *   {"iter_ms":…,"iter_p90_ms":…,"generate_ms":…,"generate_p90_ms":…,"iter_over_generate":…,
 *    "iter_over_generate_p90":…,"overhead_share":…,"iterations":…,…,
 *    "copies_per_iteration":{"toDevice":…,"toDeviceBytes":…,"toHost":…,"toHostBytes":…},"copies_per_generation":{…}}
 * Targets: iter_over_generate ≤ 4.5, overhead_share ≤ 0.05.
 *
 * The PR worker pool (server/dno/guards/probability-regularization-pool.ts, which the CLI uses) is not
 * measured: the app does not use it. Interleaved with the in-thread runs on the 2-core reference machine it
 * was not measurably faster (a median of ~0.15 s of ~4 s per iteration, faster in 11 of 20 paired rounds).
 *
 *   npm run bench:dno [-- --iterations N] [--ep cpu|webgpu|cuda] [--steps N] [--memory-mode recompute|store|auto]
 * (iterations default 11: 10 measured; ORT_THREADS sets ONNX Runtime's threads; --ep overrides
 * ORT_EXECUTION_PROVIDER, and the JSON line then also carries "provider" and "device" (with the WebGPU
 * adapter); --steps (default 50) shortens a run on a slow device such as SwiftShader, whose numbers are a
 * path check, never a speed.) --memory-mode overrides DNO_MEMORY_MODE (default auto); the JSON's "mode" is the
 * backward memory mode the run used (METHOD.md §4: recompute = checkpointing, store = kept activations).
 * copies_per_iteration / copies_per_generation: host↔device copies at the session boundary (medians; the
 * runtime's RuntimeStats.transfers, all zero on the CPU provider; server/onnx/device-tensors.ts).
 */
import { parseArgs } from "node:util";
import { hugePagesActive } from "@/server/onnx/huge-pages";
import { relaunchWithHugePages } from "./scale-lib";
import { createExecutorEnvironment } from "@/server/executor/environment";
import { readOnnxConfig } from "@/server/onnx/config";
import { formatDevice } from "@/server/onnx/providers";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import { seededNoise } from "@/server/models/noise";
import { encodePrompts, latentSize, sample } from "@/server/models/sampler";
import type { TransferStats } from "@/server/onnx/types";
import type { ExecutorIteration } from "@/server/worker/executor-port";
import { createDnoExecutor } from "@/server/worker/dno-executor";
import { describeSummary, median, round, summarize } from "./stats";

// As the worker's child computes: with huge pages when ORT_HUGE_PAGES=on (relaunched when missing).
relaunchWithHugePages();

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "11" },
    ep: { type: "string" },
    steps: { type: "string", default: "50" },
    "memory-mode": { type: "string" },
  },
});
const memoryMode = values["memory-mode"];
if (
  memoryMode !== undefined &&
  memoryMode !== "recompute" &&
  memoryMode !== "store" &&
  memoryMode !== "auto"
) {
  console.error(`--memory-mode takes recompute, store or auto (got "${memoryMode}")`);
  process.exit(2);
}
const config = readOnnxConfig(
  values.ep === undefined ? process.env : { ...process.env, ORT_EXECUTION_PROVIDER: values.ep },
);
const iterations = Math.max(3, Number.parseInt(values.iterations ?? "11", 10));
const MODEL = "tiny-shapes-sd";
const PROMPT = "a red circle on a blue background";
const settings = { steps: Math.max(1, Number.parseInt(values.steps ?? "50", 10)), eta: 1, guidanceScale: 5 };

const env = await createExecutorEnvironment({
  onnx: await createOnnxRuntime(config),
  ...(memoryMode ? { memoryMode } : {}),
});
const device = formatDevice(env.onnx.device);
const model = await env.diffusion.loadModel(MODEL);
console.log(
  `bench:dno — ${MODEL}, ${settings.steps} steps, eta ${settings.eta}, guidance ${settings.guidanceScale}, brightness + PR (γ = 1, 100 permutations, in-thread as in the app), ${iterations} iterations, ORT ${device} threads ${env.onnx.intraOpThreads || "auto"}`,
);

// One plain generation: encode is not included (a run encodes once); sample + decode is.
const conditioning = await encodePrompts(model, [PROMPT]);
const noise = seededNoise({ seeds: [7], latentSize: latentSize(model), steps: settings.steps });
const generate = async () => {
  const started = performance.now();
  await sample({
    model,
    conditioning,
    xT: noise.xT,
    stepNoises: noise.stepNoises,
    ...settings,
    decode: true,
  });
  return performance.now() - started;
};
await generate();

const document = dnoWorkflow({
  model: MODEL,
  prompt: PROMPT,
  noise: { seed: 7 },
  sampler: settings,
  rewards: [{ params: { kind: "brightness" } }],
  guards: [{ params: { kind: "probability-regularization", gamma: 1, permutations: 100 } }],
  optimizer: { iterations, learningRate: 0.01 },
});
const executor = createDnoExecutor({ environment: async () => env });
const reports: ExecutorIteration["metrics"][] = [];
// The run logs the backward memory mode it chose ("Memory mode store (…)…").
let modeUsed = "unknown";
const generations: number[] = [];
// Copies per iteration and per generation: the runtime's counts are reset after each generation.
const iterationCopies: TransferStats[] = [];
const generationCopies: TransferStats[] = [];
await executor.execute({
  runId: "bench-dno",
  document,
  signal: new AbortController().signal,
  resume: null,
  onLog: ({ message }) => {
    const match = /^Memory mode (recompute|store)/.exec(message);
    if (match) {
      modeUsed = match[1]!;
      console.log(message);
    }
  },
  onIteration: async ({ metrics }) => {
    reports.push(metrics);
    iterationCopies.push(env.onnx.stats().transfers);
    env.onnx.resetStats();
    generations.push(await generate());
    generationCopies.push(env.onnx.stats().transfers);
    env.onnx.resetStats();
    const ms = metrics.ms;
    const phases = ["forward", "backward", "rewards", "guards", "update"]
      .map((phase) => `${phase} ${(ms[phase] ?? 0).toFixed(1)}`)
      .join(", ");
    console.log(
      `iter ${metrics.iteration}: total ${ms.total?.toFixed(1)} ms (${phases}; ONNX ${ms.onnx?.toFixed(1)}), generation ${generations.at(-1)!.toFixed(1)} ms, PR ${metrics.pr?.toFixed(3)}`,
    );
  },
});

const measured = reports.slice(1);
const generationsMeasured = generations.slice(1);
const totalOf = (metrics: ExecutorIteration["metrics"]) => metrics.ms.total ?? Number.NaN;
const iter = summarize(measured.map(totalOf));
const generation = summarize(generationsMeasured);
const ratio = summarize(measured.map((metrics, i) => totalOf(metrics) / generationsMeasured[i]!));
const medianCopies = (all: readonly TransferStats[]): TransferStats => ({
  toDevice: median(all.map((copies) => copies.toDevice)),
  toDeviceBytes: median(all.map((copies) => copies.toDeviceBytes)),
  toHost: median(all.map((copies) => copies.toHost)),
  toHostBytes: median(all.map((copies) => copies.toHostBytes)),
});
const copiesPerIteration = medianCopies(iterationCopies.slice(1));
const copiesPerGeneration = medianCopies(generationCopies.slice(1));
const overhead = median(
  measured.map((metrics) => (totalOf(metrics) - (metrics.ms.onnx ?? 0)) / totalOf(metrics)),
);
const split = ["forward", "backward", "rewards", "guards", "update"].map(
  (phase) => `${phase} ${median(measured.map((metrics) => metrics.ms[phase] ?? 0)).toFixed(1)}`,
);
console.log(`iteration: ${describeSummary(iter)} (phase medians: ${split.join(", ")})`);
console.log(`plain generation right after each: ${describeSummary(generation)}`);
console.log(
  `iteration / generation per pair: median ${ratio.median.toFixed(3)}, p90 ${ratio.p90.toFixed(3)}; outside ONNX (median) ${overhead.toFixed(4)}`,
);
const describeCopies = (copies: TransferStats) =>
  `${copies.toDevice} to the device (${(copies.toDeviceBytes / 1024).toFixed(1)} KiB), ${copies.toHost} to the host (${(copies.toHostBytes / 1024).toFixed(1)} KiB)`;
console.log(
  `host↔device copies (median): per iteration ${describeCopies(copiesPerIteration)}; per generation ${describeCopies(copiesPerGeneration)}`,
);
console.log(
  JSON.stringify({
    iter_ms: round(iter.median, 1),
    iter_p90_ms: round(iter.p90, 1),
    generate_ms: round(generation.median, 1),
    generate_p90_ms: round(generation.p90, 1),
    iter_over_generate: round(ratio.median, 3),
    iter_over_generate_p90: round(ratio.p90, 3),
    overhead_share: round(overhead, 4),
    iterations: measured.length,
    steps: settings.steps,
    mode: modeUsed,
    provider: env.onnx.executionProvider,
    device,
    copies_per_iteration: copiesPerIteration,
    copies_per_generation: copiesPerGeneration,
    huge_pages: hugePagesActive(),
  }),
);
