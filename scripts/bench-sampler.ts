/**
 * Sampler benchmark: UNet milliseconds per call (CFG batch of 2), a 50-step generation with CFG (prompt
 * encoding, 50 UNet calls, VAE decode) with 1 and 2 intra-op threads, and the share of that time spent
 * inside ONNX Runtime session.run calls. The two thread counts are measured interleaved (10 UNet calls or
 * one generation with 1 thread, then the same with 2), so machine load hits both alike; every number is a
 * median or a 90th percentile (scripts/stats.ts). The last line is one JSON object:
 *   {"unet_ms":…,"unet_p90_ms":…,"generate50_ms":…,"generate50_p90_ms":…,"ort_share":…,"threads":…,
 *    "repeats":…,"by_threads":{…}}   (top level: the thread count with the lower median generation)
 *
 *   npm run bench:sampler [-- --model DIR|ID] [--repeats N] [--ep cpu|webgpu|cuda] [--unet-calls N] [--steps N]
 *
 * --ep runs on another execution provider (the JSON then says which, with its adapter: "provider",
 * "device"); on a device only one thread count is measured (1: the threads serve only the nodes ONNX Runtime
 * leaves on the CPU). --unet-calls (default 200) and --steps (default 50; the JSON's generate50_* keys keep
 * their names and "steps" says the count) shorten a run on a slow device such as SwiftShader, whose numbers
 * are a path check, never a speed.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_MODEL_ID } from "@/nodes/defs/sampler";
import { resolveModelDir } from "@/server/models/discovery";
import { loadModelFolder } from "@/server/models/folder";
import { seededNoise } from "@/server/models/noise";
import { createUnetCaller, encodePrompts, latentSize, sample } from "@/server/models/sampler";
import { formatDevice } from "@/server/onnx/providers";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { describeSummary, median, round, type Summary, summarize } from "./stats";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    model: { type: "string" },
    repeats: { type: "string" },
    ep: { type: "string", default: "cpu" },
    "unet-calls": { type: "string" },
    steps: { type: "string" },
  },
});
const providers = ["cpu", "webgpu", "cuda"] as const;
const chosen = providers.find((provider) => provider === values.ep);
if (!chosen) {
  console.error(`--ep must be cpu, webgpu or cuda; got "${values.ep}".`);
  process.exit(2);
}
const ep: (typeof providers)[number] = chosen;
const modelArg = values.model ?? DEFAULT_MODEL_ID;
const modelDir =
  existsSync(modelArg) && statSync(modelArg).isDirectory()
    ? path.resolve(modelArg)
    : resolveModelDir(modelArg);
const repeats = Math.max(1, Number(values.repeats ?? 9));
/** Untimed runs first: JIT compilation and ONNX Runtime's first-run allocations. */
const WARMUP_RUNS = 2;

const THREADS = ep === "cpu" ? [1, 2] : [1];
const UNET_BLOCK = 10;
const UNET_CALLS = Math.max(
  UNET_BLOCK,
  Math.ceil(Number(values["unet-calls"] ?? 200) / UNET_BLOCK) * UNET_BLOCK,
);
const STEPS = Math.max(1, Number(values.steps ?? 50));
const PROMPT = "a red circle on a blue background";

interface Setup {
  threads: number;
  runtime: Awaited<ReturnType<typeof createOnnxRuntime>>;
  model: Awaited<ReturnType<typeof loadModelFolder>>;
  callUnet: ReturnType<typeof createUnetCaller>;
  unetSamples: number[];
  generateSamples: number[];
  ortShares: number[];
}

async function setUp(threads: number): Promise<Setup> {
  const runtime = await createOnnxRuntime({ executionProvider: ep, intraOpThreads: threads });
  const model = await loadModelFolder(modelDir, { runtime });
  const conditioning = await encodePrompts(model, [PROMPT]);
  const callUnet = createUnetCaller(model, conditioning, 5);
  return { threads, runtime, model, callUnet, unetSamples: [], generateSamples: [], ortShares: [] };
}

console.log(`model: ${modelDir}`);
const setups: Setup[] = [];
for (const threads of THREADS) setups.push(await setUp(threads));
const device = formatDevice(setups[0]!.runtime.device);
console.log(`device: ${device}`);
const size = latentSize(setups[0]!.model);

// UNet alone, CFG batch 2 (one call = both branches), preallocated buffers as in the sampler loop.
const latent = seededNoise({ seeds: [1], latentSize: size, steps: 0 }).xT;
const guided = new Float32Array(size);
const warmupCalls = Math.min(20, UNET_CALLS);
for (const setup of setups) for (let i = 0; i < warmupCalls; i++) await setup.callUnet(latent, 500, guided);
// Blocks of calls, alternating between the thread counts: switching sessions on every call would add the
// wake-up of the other session's thread pool to each call, which a sampler loop never pays.
for (let block = 0; block < UNET_CALLS / UNET_BLOCK; block++) {
  for (const setup of setups) {
    for (let i = block * UNET_BLOCK; i < (block + 1) * UNET_BLOCK; i++) {
      const started = performance.now();
      await setup.callUnet(latent, 981 - (i % 50) * 20, guided);
      setup.unetSamples.push(performance.now() - started);
    }
  }
}

// Whole 50-step generation with CFG and eta = 1, as the CLI and the Sampler node run it.
for (let r = 0; r < repeats + WARMUP_RUNS; r++) {
  const noise = seededNoise({ seeds: [r], latentSize: size, steps: STEPS });
  for (const setup of setups) {
    setup.runtime.resetStats();
    const start = performance.now();
    const encoded = await encodePrompts(setup.model, [PROMPT]);
    const result = await sample({
      model: setup.model,
      conditioning: encoded,
      xT: noise.xT,
      stepNoises: noise.stepNoises,
      steps: STEPS,
      eta: 1,
      guidanceScale: 5,
    });
    const elapsed = performance.now() - start;
    if (!result.image) throw new Error("no image");
    if (r < WARMUP_RUNS) continue;
    setup.generateSamples.push(elapsed);
    setup.ortShares.push(setup.runtime.stats().runMs / elapsed);
  }
}

interface ThreadResult {
  threads: number;
  unet: Summary;
  generate50: Summary;
  ortShare: number;
}
const results: ThreadResult[] = setups.map((setup) => ({
  threads: setup.threads,
  unet: summarize(setup.unetSamples),
  generate50: summarize(setup.generateSamples),
  ortShare: median(setup.ortShares),
}));
for (const result of results) {
  console.log(
    `threads=${result.threads}: unet ${describeSummary(result.unet, "ms", 3)} calls (CFG batch 2); ` +
      `generate (${STEPS} steps) ${describeSummary(result.generate50)}; ort share ${(result.ortShare * 100).toFixed(1)} %`,
  );
}
const best = results.reduce((a, b) => (b.generate50.median < a.generate50.median ? b : a));
const json = (r: ThreadResult) => ({
  unet_ms: round(r.unet.median, 3),
  unet_p90_ms: round(r.unet.p90, 3),
  generate50_ms: round(r.generate50.median, 1),
  generate50_p90_ms: round(r.generate50.p90, 1),
  ort_share: round(r.ortShare, 4),
});
console.log(
  JSON.stringify({
    ...json(best),
    threads: best.threads,
    repeats,
    steps: STEPS,
    provider: setups[0]!.runtime.executionProvider,
    device,
    by_threads: Object.fromEntries(results.map((r) => [r.threads, json(r)])),
  }),
);
