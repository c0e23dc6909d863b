/**
 * `npm run bench:autodiff`: the UNet's VJP model against its forward pass.
 *
 * For the bundled UNet (models/tiny-shapes-sd, or --model-dir DIR / $DNO_MODEL_DIR) at the CFG
 * batch of 2: time to build the VJP model (wrt sample and encoder_hidden_states, of out_sample),
 * forward ms and VJP ms (the VJP model recomputes the forward inside: checkpointing), their ratio, and
 * the process's peak RSS. One thread per session, so the two are comparable.
 *
 * Forward and VJP runs alternate (100 pairs after 5 warm-up pairs, BENCH_RUNS to change), so load from
 * other processes hits both alike. The JSON reports medians and 90th percentiles (scripts/stats.ts); the
 * ratio is the median of each pair's VJP/forward ratio, which cancels slow changes in machine load.
 *
 * The last output line is one JSON object:
 * {"unet_forward_ms":…,"unet_forward_p90_ms":…,"unet_vjp_ms":…,"unet_vjp_p90_ms":…,"vjp_forward_ratio":…,
 *  "vjp_forward_ratio_p90":…,"runs":…,"build_ms":…,"peak_rss_mb":…}
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { analyzeModel, buildVjpModel, cotangentInputName, encodeModel } from "@/server/autodiff";
import { DataType } from "@/server/autodiff/ir";
import { gaussian } from "@/server/models/rng";
import type { HostTensor } from "@/server/onnx/evaluate";
import { openModel } from "@/server/onnx/evaluate";
import { describeSummary, round, summarize } from "./stats";

const BATCH = 2;
const WARMUP = 5;
const RUNS = Number(process.env.BENCH_RUNS ?? 100);

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const modelDir = argValue("--model-dir") ?? process.env.DNO_MODEL_DIR ?? "models/tiny-shapes-sd";
  const unetFile = path.join(modelDir, "unet", "model.onnx");
  const bytes = new Uint8Array(readFileSync(unetFile));
  console.log(`UNet: ${unetFile} (${(bytes.length / 1e6).toFixed(2)} MB), batch ${BATCH}`);

  const { model } = analyzeModel(bytes);
  const feeds: Record<string, HostTensor> = {};
  for (const [k, input] of model.graph.inputs.entries()) {
    const dims = (input.shape ?? []).map((d, i) => (typeof d === "number" ? d : i === 0 ? BATCH : 1));
    const count = dims.reduce((a, b) => a * b, 1);
    if (input.elemType === DataType.INT64) {
      feeds[input.name] = {
        type: "int64",
        dims,
        data: Array.from({ length: count }, (_, i) => (i % 2 ? 421 : 981)),
      };
    } else feeds[input.name] = { type: "float32", dims, data: gaussian(100 + k, count) };
  }
  const floatInputs = model.graph.inputs.filter((i) => i.elemType === DataType.FLOAT).map((i) => i.name);
  const of = model.graph.outputs[0]!.name;

  const buildStart = performance.now();
  const vjpBytes = encodeModel(buildVjpModel(bytes, { wrt: floatInputs, of }));
  const buildMs = performance.now() - buildStart;
  console.log(`VJP model: wrt [${floatInputs.join(", ")}] of ${of}, built in ${buildMs.toFixed(1)} ms`);

  const forward = await openModel(bytes);
  const backward = await openModel(vjpBytes);
  const y = (await forward.run(feeds))[of]!;
  const cotangent: HostTensor = { type: "float32", dims: y.dims, data: gaussian(7, y.data.length) };
  const vjpFeeds = { ...feeds, [cotangentInputName(of)]: cotangent };

  for (let i = 0; i < WARMUP; i++) {
    await forward.run(feeds);
    await backward.run(vjpFeeds);
  }
  // Alternate forward and VJP runs so that load from other processes affects both alike.
  const forwardSamples: number[] = [];
  const vjpSamples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    await forward.run(feeds);
    forwardSamples.push(performance.now() - t);
    t = performance.now();
    await backward.run(vjpFeeds);
    vjpSamples.push(performance.now() - t);
  }
  await forward.dispose();
  await backward.dispose();

  const forwardMs = summarize(forwardSamples);
  const vjpMs = summarize(vjpSamples);
  const ratio = summarize(vjpSamples.map((ms, i) => ms / forwardSamples[i]!));
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`forward: ${describeSummary(forwardMs, "ms", 3)} runs`);
  console.log(`VJP (forward recompute + backward): ${describeSummary(vjpMs, "ms", 3)} runs`);
  console.log(
    `VJP/forward per pair: median ${ratio.median.toFixed(2)} (target <= 3.0), p90 ${ratio.p90.toFixed(2)}; build ${buildMs.toFixed(0)} ms (target < 5000)`,
  );
  console.log(
    JSON.stringify({
      unet_forward_ms: round(forwardMs.median, 3),
      unet_forward_p90_ms: round(forwardMs.p90, 3),
      unet_vjp_ms: round(vjpMs.median, 3),
      unet_vjp_p90_ms: round(vjpMs.p90, 3),
      vjp_forward_ratio: round(ratio.median, 3),
      vjp_forward_ratio_p90: round(ratio.p90, 3),
      runs: RUNS,
      build_ms: round(buildMs, 1),
      peak_rss_mb: round(peakRssMb, 1),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
