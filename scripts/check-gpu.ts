/**
 * GPU host check: what the WebGPU/CUDA provider sees on this host, and whether DNO on the device matches the
 * CPU. Prints the Vulkan loader, drivers and GPUs; the device and its adapter; a short generation and one
 * DNO iteration's gradient on the device and on the CPU (max abs differences of the images and gradients,
 * times); two DNO iterations through the executor on both, with the host↔device copies of each (counted by
 * the runtime at the session boundary, server/onnx/device-tensors.ts); and, per model, the graph nodes ONNX
 * Runtime leaves on the CPU and the copies it inserts inside each call.
 *
 *   npm run check:gpu [-- --ep webgpu|cuda] [--steps N] [--model ID|FOLDER]
 *
 * --model: a model id as workflows name it (default tiny-shapes-sd; `user:<folder>` from MODELS_DIR) or a
 * diffusers-ONNX folder (e.g. models/sd_arch/tiny/sd15-fp16, a float16 export: on WebGPU it runs in float16
 * where the adapter has float16 shaders, else as a float32 twin; the output says which).
 *
 * Without --ep: ORT_EXECUTION_PROVIDER if it names cuda or webgpu, else CUDA when its build loads, else
 * WebGPU (a software adapter such as SwiftShader is used and labelled: it checks the path, not speed).
 * Exit code 1 when the device cannot be used or a difference is over its bound.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { brightnessReward } from "@/server/dno/rewards/image-statistics";
import { imageBatch } from "@/server/dno/rewards/reward";
import { DiffusionChain } from "@/server/executor/chain";
import { createExecutorEnvironment, type ExecutorEnvironment } from "@/server/executor/environment";
import { planRun } from "@/server/executor/plan";
import { type IterationRecord, runDno } from "@/server/executor/run-dno";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import { getVjpModelForFile } from "@/server/autodiff/cache";
import type { DiffusionModel } from "@/server/models/folder";
import { seededNoise } from "@/server/models/noise";
import { encodePrompts, latentSize, sample } from "@/server/models/sampler";
import { hasVulkanLoader, hostGpus, realGpuHost, vulkanIcds } from "@/server/onnx/gpu-host";
import { modelDirectories } from "@/server/models/discovery";
import { webGpuSessionFile } from "@/server/onnx/float16-upcast";
import { nodePlacement, summarizeOps } from "@/server/onnx/node-placement";
import { formatDevice } from "@/server/onnx/providers";
import { createOnnxRuntime, webGpuRunsFloat16 } from "@/server/onnx/runtime";
import type { OnnxRuntime, TransferStats } from "@/server/onnx/types";

const PROMPT = "a red circle on a blue background";
/**
 * Relative to the CPU result's largest magnitude. float32 kernels differ between providers and the
 * differences grow along the DDIM chain: server/onnx/webgpu.test.ts holds one step to 1e-3; here several
 * steps and two optimizer updates are allowed 5e-3 (SwiftShader, 2 steps: 3e-4 gradient, 5e-4 image).
 */
const IMAGE_BOUND = 5e-3;
const GRADIENT_BOUND = 5e-3;

const { values } = parseArgs({
  options: {
    ep: { type: "string" },
    steps: { type: "string", default: "4" },
    model: { type: "string", default: "tiny-shapes-sd" },
  },
});
/** A folder given as --model is found as `user:<name>` in its parent folder. */
const modelArg = values.model ?? "tiny-shapes-sd";
const modelFolder =
  existsSync(modelArg) && statSync(modelArg).isDirectory() ? path.resolve(modelArg) : undefined;
const MODEL = modelFolder ? `user:${path.basename(modelFolder)}` : modelArg;
const directories = modelFolder ? { ...modelDirectories(), userDir: path.dirname(modelFolder) } : undefined;
const steps = Math.max(1, Number.parseInt(values.steps ?? "4", 10));
const settings = { steps, eta: 1, guidanceScale: 5 };

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): { abs: number; relative: number } {
  let abs = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    abs = Math.max(abs, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return { abs, relative: scale > 0 ? abs / scale : abs };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const ms = (value: number) => `${value.toFixed(0)} ms`;
const sci = (value: number) => value.toExponential(2);

async function deviceRuntime(): Promise<OnnxRuntime> {
  const named = values.ep ?? process.env.ORT_EXECUTION_PROVIDER?.trim().toLowerCase();
  if (named === "webgpu" || named === "cuda")
    return createOnnxRuntime({ executionProvider: named, intraOpThreads: 0 });
  if (named && named !== "auto" && named !== "cpu")
    throw new Error(`--ep must be webgpu or cuda; got "${named}".`);
  try {
    return await createOnnxRuntime({ executionProvider: "cuda", intraOpThreads: 0 });
  } catch {
    return createOnnxRuntime({ executionProvider: "webgpu", intraOpThreads: 0 });
  }
}

function printHost(): void {
  const host = realGpuHost();
  console.log("Host");
  console.log(
    `  Vulkan loader (libvulkan.so.1): ${hasVulkanLoader(host) ? "found" : "MISSING (apt-get install libvulkan1)"}`,
  );
  const icds = vulkanIcds(host);
  const override = host.env.VK_DRIVER_FILES || host.env.VK_ICD_FILENAMES;
  console.log(
    `  Vulkan drivers${override ? " (from VK_ICD_FILENAMES/VK_DRIVER_FILES)" : ""}: ${
      icds.map((icd) => `${icd.driver}${icd.software ? " (software)" : ""}`).join(", ") || "none"
    }`,
  );
  const gpus = hostGpus(host);
  console.log(
    `  GPUs the kernel lists: ${gpus.map((gpu) => `${gpu.name}${gpu.driverVersion ? ` (driver ${gpu.driverVersion})` : ""}`).join(", ") || "none"}`,
  );
}

async function generate(model: DiffusionModel) {
  const conditioning = await encodePrompts(model, [PROMPT]);
  const noise = seededNoise({ seeds: [7], latentSize: latentSize(model), steps, withStepNoise: true });
  return timed(async () => {
    const result = await sample({
      model,
      conditioning,
      xT: noise.xT,
      stepNoises: noise.stepNoises,
      ...settings,
      decode: true,
    });
    if (!result.image) throw new Error("The sampler returned no image");
    return result.image.data;
  });
}

/** One DNO iteration's gradient with respect to x_T and the step noises (brightness reward). */
async function gradient(env: ExecutorEnvironment, model: DiffusionModel) {
  const chain = new DiffusionChain(model, env.onnx, env.vjpCache);
  await chain.prepareBackward();
  const conditioning = await encodePrompts(model, [PROMPT]);
  const noise = seededNoise({ seeds: [7], latentSize: latentSize(model), steps, withStepNoise: true });
  return timed(async () => {
    const forward = await chain.forward(conditioning, noise.xT, noise.stepNoises, settings);
    const images = imageBatch(forward.image.data, [1, 3, forward.image.height, forward.image.width]);
    const { gradient: imageGradient } = await brightnessReward.valueAndGradient!(images);
    const x0Gradient = await chain.decoderBackward(forward.latents.at(-1)!, 1, imageGradient);
    const grads = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
      stepNoiseGradients: true,
    });
    return Float32Array.from([...grads.xT, ...(grads.stepNoises ?? []).flatMap((noise) => [...noise])]);
  });
}

/** Two DNO iterations through the executor, as a run does them. */
async function twoIterations(env: ExecutorEnvironment) {
  const document = dnoWorkflow({
    model: MODEL,
    prompt: PROMPT,
    noise: { seed: 7 },
    sampler: settings,
    rewards: [{ params: { kind: "brightness" } }],
    optimizer: { iterations: 2, learningRate: 0.01 },
  });
  const records: IterationRecord[] = [];
  const copies: TransferStats[] = [];
  env.onnx.resetStats();
  const result = await runDno({
    plan: planRun(document),
    env,
    onIteration: ({ record }) => {
      records.push(record);
      copies.push(env.onnx.stats().transfers);
      env.onnx.resetStats();
    },
  });
  return { records, copies, image: result.finalImage.data };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const describeCopies = (copies: TransferStats) =>
  `${copies.toDevice} to the device (${kib(copies.toDeviceBytes)}), ${copies.toHost} to the host (${kib(copies.toHostBytes)})`;

async function main(): Promise<number> {
  printHost();
  let device: OnnxRuntime;
  try {
    device = await deviceRuntime();
  } catch (error) {
    console.log(`\nDevice: none. ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  console.log(`\nDevice: ${formatDevice(device.device)}`);
  if (device.device.adapter) console.log(`  adapter source: ${device.device.adapter.source}`);
  if (device.device.note) console.log(`  note: ${device.device.note}`);
  const cpu = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 0 });
  const gpuEnv = await createExecutorEnvironment({ onnx: device, ...(directories ? { directories } : {}) });
  const cpuEnv = await createExecutorEnvironment({ onnx: cpu, ...(directories ? { directories } : {}) });
  const gpuModel = await gpuEnv.diffusion.loadModel(MODEL);
  const cpuModel = await cpuEnv.diffusion.loadModel(MODEL);
  const float16 = cpuModel.unet.inputs.some((input) => input.castFrom === "float16");
  const runsFloat16 = device.executionProvider === "webgpu" ? await webGpuRunsFloat16() : true;
  console.log(
    `Model ${MODEL}${float16 ? " (float16)" : ""}` +
      (float16 && !runsFloat16
        ? ": the adapter has no float16 shaders (shader-f16), so it runs as a float32 twin on the device"
        : float16
          ? ": float16 on the device"
          : ""),
  );
  let failed = false;
  const verdict = (relative: number, bound: number) => {
    if (relative > bound) failed = true;
    return relative <= bound ? "ok" : `OVER the bound ${sci(bound)}`;
  };

  console.log(
    `\nGeneration (${steps} DDIM steps, eta 1, guidance 5; the first call on the device compiles its kernels)`,
  );
  await generate(gpuModel);
  const [gpuImage, cpuImage] = [await generate(gpuModel), await generate(cpuModel)];
  const imageDiff = maxAbsDifference(cpuImage.value, gpuImage.value);
  console.log(`  device ${ms(gpuImage.ms)}, CPU ${ms(cpuImage.ms)}`);
  console.log(
    `  image max |device − CPU| ${sci(imageDiff.abs)} (relative ${sci(imageDiff.relative)}): ${verdict(imageDiff.relative, IMAGE_BOUND)}`,
  );

  console.log("\nOne DNO iteration's gradient (brightness; VAE-decoder and UNet VJPs through every step)");
  await gradient(gpuEnv, gpuModel);
  const [gpuGradient, cpuGradient] = [await gradient(gpuEnv, gpuModel), await gradient(cpuEnv, cpuModel)];
  const gradientDiff = maxAbsDifference(cpuGradient.value, gpuGradient.value);
  console.log(`  device ${ms(gpuGradient.ms)}, CPU ${ms(cpuGradient.ms)}`);
  console.log(
    `  gradient max |device − CPU| ${sci(gradientDiff.abs)} (relative ${sci(gradientDiff.relative)}): ${verdict(gradientDiff.relative, GRADIENT_BOUND)}`,
  );

  console.log("\nTwo DNO iterations through the executor (Adam, learning rate 0.01)");
  const gpuRun = await twoIterations(gpuEnv);
  const cpuRun = await twoIterations(cpuEnv);
  gpuRun.records.forEach((record, i) => {
    const other = cpuRun.records[i]!;
    console.log(
      `  iteration ${record.iteration}: device ${ms(record.totalMs)} (ONNX ${ms(record.onnxMs)}), CPU ${ms(other.totalMs)}; ` +
        `gradient norm ${sci(record.gradNorm)} vs ${sci(other.gradNorm)}`,
    );
  });
  gpuRun.copies.forEach((copies, i) => {
    console.log(
      `  host↔device copies in iteration ${i + 1} (session boundary${i === 0 ? "; with the set-up's" : ""}): ${describeCopies(copies)}`,
    );
  });
  const runDiff = maxAbsDifference(cpuRun.image, gpuRun.image);
  console.log(
    `  final image max |device − CPU| ${sci(runDiff.abs)} (relative ${sci(runDiff.relative)}): ${verdict(runDiff.relative, IMAGE_BOUND)}`,
  );

  if (device.executionProvider !== "cpu") {
    const provider = device.executionProvider;
    console.log(
      `\nGraph nodes ONNX Runtime leaves on the CPU with ${provider} (and copies inserted per call)`,
    );
    const vjp = async (file: string, wrt: string, of: string) =>
      (await getVjpModelForFile(file, { wrt: [wrt], of }, gpuEnv.vjpCache)).file;
    const models: [string, string][] = [
      ["text_encoder", gpuModel.textEncoder.path],
      ["unet", gpuModel.unet.path],
      ["vae_decoder", gpuModel.vaeDecoder.path],
      ...(existsSync(path.join(gpuModel.dir, "classifier/model.onnx"))
        ? [["classifier", path.join(gpuModel.dir, "classifier/model.onnx")] as [string, string]]
        : []),
      ["unet VJP", await vjp(gpuModel.unet.path, "sample", gpuModel.io.unetOutput)],
      ["vae_decoder VJP", await vjp(gpuModel.vaeDecoder.path, gpuModel.io.vaeInput, gpuModel.io.vaeOutput)],
    ];
    // Copies ORT inserts inside a graph around the nodes it left on the CPU, per call (the copies at the
    // session boundary are counted by the runtime, above).
    const perCall = new Map<string, number>();
    for (const [name, file] of models) {
      try {
        // What the session loads: the float32 twin of a float16 model where the adapter lacks float16 shaders.
        const sessionFile = provider === "webgpu" ? await webGpuSessionFile(file, runsFloat16) : file;
        const placement = await nodePlacement(sessionFile, provider);
        perCall.set(name, placement.copies.toDevice + placement.copies.toHost);
        const total = Object.values(placement.counts).reduce((a, b) => a + b, 0);
        const onCpu = placement.onCpu.length;
        console.log(
          `  ${name}: ${onCpu} of ${total} nodes on the CPU${onCpu ? `: ${summarizeOps(placement.onCpu)}` : ""}; ` +
            `copies per call: ${placement.copies.toDevice} to the device, ${placement.copies.toHost} to the host` +
            (placement.noKernel.length
              ? `; no ${provider} kernel for: ${summarizeOps(placement.noKernel)}`
              : ""),
        );
      } catch (error) {
        console.log(`  ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const calls = (name: string, count: number) => (perCall.get(name) ?? Number.NaN) * count;
    const perIteration =
      calls("unet", steps) + calls("vae_decoder", 1) + calls("vae_decoder VJP", 1) + calls("unet VJP", steps);
    console.log(
      `  copies ORT inserts inside the graphs per DNO iteration (${steps} steps: ${steps} UNet + ${steps} UNet VJP ` +
        `calls, one VAE decoder and one VAE VJP call), on top of the session-boundary copies above: ${perIteration}`,
    );
  }

  console.log(
    `\n${failed ? "FAILED" : "OK"}: ${formatDevice(device.device)}${
      device.device.adapter?.software ? " — a software adapter: the times above say nothing about a GPU" : ""
    }`,
  );
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`check:gpu failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
