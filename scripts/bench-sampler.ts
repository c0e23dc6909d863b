/**
 * Sampler benchmark: UNet milliseconds per call (CFG batch of 2), a 50-step generation with CFG (prompt
 * encoding, 50 UNet calls, VAE decode) with 1 and 2 intra-op threads, and the share of that time spent
 * inside ONNX Runtime session.run calls. The last line is one JSON object:
 *   {"unet_ms":…,"generate50_ms":…,"ort_share":…}   (for the faster thread count; per-thread values beside)
 *
 *   npm run bench:sampler [-- --model DIR|ID] [--repeats N]
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_MODEL_ID } from "@/nodes/defs/sampler";
import { resolveModelDir } from "@/server/models/discovery";
import { loadModelFolder } from "@/server/models/folder";
import { seededNoise } from "@/server/models/noise";
import { createUnetCaller, encodePrompts, latentSize, sample } from "@/server/models/sampler";
import { createOnnxRuntime } from "@/server/onnx/runtime";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { model: { type: "string" }, repeats: { type: "string" } },
});
const modelArg = values.model ?? DEFAULT_MODEL_ID;
const modelDir =
  existsSync(modelArg) && statSync(modelArg).isDirectory()
    ? path.resolve(modelArg)
    : resolveModelDir(modelArg);
const repeats = Math.max(1, Number(values.repeats ?? 9));
/** Untimed runs first: JIT compilation and ONNX Runtime's first-run allocations. */
const WARMUP_RUNS = 2;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface ThreadResult {
  threads: number;
  unetMs: number;
  generate50Ms: number;
  ortShare: number;
}

async function benchThreads(threads: number): Promise<ThreadResult> {
  const runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: threads });
  const model = await loadModelFolder(modelDir, { runtime });
  const prompt = "a red circle on a blue background";
  const conditioning = await encodePrompts(model, [prompt]);
  const size = latentSize(model);

  // UNet alone, CFG batch 2 (one call = both branches), preallocated buffers as in the sampler loop.
  const callUnet = createUnetCaller(model, conditioning, 5);
  const latent = seededNoise({ seeds: [1], latentSize: size, steps: 0 }).xT;
  const guided = new Float32Array(size);
  for (let i = 0; i < 20; i++) await callUnet(latent, 500, guided);
  const unetCalls = 200;
  const unetStart = performance.now();
  for (let i = 0; i < unetCalls; i++) await callUnet(latent, 981 - (i % 50) * 20, guided);
  const unetMs = (performance.now() - unetStart) / unetCalls;

  // Whole 50-step generation with CFG and eta = 1, as the CLI and the Sampler node run it.
  const times: number[] = [];
  const shares: number[] = [];
  for (let r = 0; r < repeats + WARMUP_RUNS; r++) {
    const noise = seededNoise({ seeds: [r], latentSize: size, steps: 50 });
    runtime.resetStats();
    const start = performance.now();
    const encoded = await encodePrompts(model, [prompt]);
    const result = await sample({
      model,
      conditioning: encoded,
      xT: noise.xT,
      stepNoises: noise.stepNoises,
      steps: 50,
      eta: 1,
      guidanceScale: 5,
    });
    const elapsed = performance.now() - start;
    if (!result.image) throw new Error("no image");
    if (r < WARMUP_RUNS) continue;
    times.push(elapsed);
    shares.push(runtime.stats().runMs / elapsed);
  }
  return { threads, unetMs, generate50Ms: median(times), ortShare: median(shares) };
}

const results: ThreadResult[] = [];
console.log(`model: ${modelDir}`);
for (const threads of [1, 2]) {
  const result = await benchThreads(threads);
  results.push(result);
  console.log(
    `threads=${threads}: unet ${result.unetMs.toFixed(3)} ms/call (CFG batch 2), ` +
      `generate50 ${result.generate50Ms.toFixed(1)} ms (median of ${repeats}), ort share ${(result.ortShare * 100).toFixed(1)} %`,
  );
}
const best = results.reduce((a, b) => (b.generate50Ms < a.generate50Ms ? b : a));
const round = (value: number, digits: number) => Number(value.toFixed(digits));
console.log(
  JSON.stringify({
    unet_ms: round(best.unetMs, 3),
    generate50_ms: round(best.generate50Ms, 1),
    ort_share: round(best.ortShare, 4),
    threads: best.threads,
    by_threads: Object.fromEntries(
      results.map((r) => [
        r.threads,
        {
          unet_ms: round(r.unetMs, 3),
          generate50_ms: round(r.generate50Ms, 1),
          ort_share: round(r.ortShare, 4),
        },
      ]),
    ),
  }),
);
