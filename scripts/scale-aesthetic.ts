/**
 * Full-size check of the aesthetic-shaped scorer (issue 15 item 5, not in CI): the CLIP ViT-L/14 image tower +
 * LAION aesthetic MLP head built by `npm run build:sd-arch -- --aesthetic --scale full` (.cache/sd-arch/aesthetic,
 * ~1.2 GB, random weights) as a custom ONNX reward with “Scorer input: CLIP”, on a 512-px picture:
 *   check     the upload check (checkScorerFile: the file's structure, weights left on disk);
 *   score     the reward's forward (CLIP preprocessing + the scorer);
 *   gradient  the first value-and-gradient (builds or reads the scorer's VJP model, creates its session, runs
 *             it, then the preprocessing's transpose), then a second one (sessions warm);
 *   fd        the gradient along one random direction against central finite differences.
 * Prints one JSON line with times (ms) and this process's peak RSS (MiB).
 *
 *   flock /tmp/bigmem.lock npx tsx scripts/scale-aesthetic.ts [--file PATH] [--threads N]
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "@/server/db/repo-root";
import type { ImageBatch } from "@/server/dno/rewards/reward";
import { checkScorerFile } from "@/server/assets/check-scorer";
import { createCustomOnnxReward } from "@/server/executor/custom-reward";
import { createRng } from "@/server/models/rng";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { mb, readRssMb, timed } from "./scale-lib";

const { values } = parseArgs({
  options: {
    file: { type: "string" },
    threads: { type: "string", default: "2" },
    px: { type: "string", default: "512" },
  },
});
const file = values.file ?? path.join(repoRoot(), ".cache/sd-arch/aesthetic/model.onnx");
if (!existsSync(file)) {
  console.error(
    `${file} is missing: build it with flock /tmp/bigmem.lock npm run build:sd-arch -- --aesthetic --scale full`,
  );
  process.exit(2);
}
const px = Number(values.px);
const rssPeak = () => mb(readRssMb("self")?.peak ?? Number.NaN);

const check = await timed(async () => checkScorerFile(file, "aesthetic.onnx"));
console.error(`check: ${Math.round(check.ms)} ms, ${JSON.stringify(check.value)}, peak RSS ${rssPeak()} MiB`);
const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: Number(values.threads) });
const reward = await createCustomOnnxReward(
  {
    id: "aesthetic",
    modelAsset: "aesthetic",
    scorerInput: "clip",
    resize: 224,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    outputIndex: 0,
  },
  onnx,
  { where: "Reward “Aesthetic”", assets: { scorerFile: async () => file } },
);
const rng = createRng(1);
const images: ImageBatch = {
  data: Float32Array.from({ length: 3 * px * px }, () => rng.uniform() * 1.6 - 0.8),
  batch: 1,
  channels: 3,
  height: px,
  width: px,
};
const score = await timed(async () => reward.evaluate(images));
console.error(`score: ${Math.round(score.ms)} ms, ${score.value[0]}, peak RSS ${rssPeak()} MiB`);
const first = await timed(async () => reward.valueAndGradient!(images));
console.error(
  `first value and gradient (VJP build/load + run): ${Math.round(first.ms)} ms, peak RSS ${rssPeak()} MiB`,
);
const second = await timed(async () => reward.valueAndGradient!(images));
const gradient = second.value.gradient;
const direction = Float32Array.from({ length: images.data.length }, () => rng.normal());
let analytic = 0;
for (let i = 0; i < direction.length; i++) analytic += gradient[i]! * direction[i]!;
const h = 0.02;
const at = async (sign: number) =>
  (await reward.evaluate({ ...images, data: images.data.map((v, i) => v + sign * h * direction[i]!) }))[0]!;
const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
console.log(
  JSON.stringify({
    scorer: "aesthetic-vit-l14",
    px,
    check_ms: Math.round(check.ms),
    score_ms: Math.round(score.ms),
    first_gradient_ms: Math.round(first.ms),
    gradient_ms: Math.round(second.ms),
    fd: { analytic, numeric, relative_error: Math.abs(analytic - numeric) / Math.abs(numeric) },
    peak_rss_mb: rssPeak(),
  }),
);
