/**
 * Full-size check (issue 15, not in CI): every full-size folder built by `npm run build:sd-arch -- --scale
 * full` that is present in .cache/sd-arch (sd15, sd15-fp16, sd21 v-prediction, sd21-fp16) is, in a fresh
 * child process each (its peak RSS is its own):
 *   listing   listed through MODELS_DIR=.cache/sd-arch as user:<folder>, valid;
 *   load      loaded through the normal model loader by that id;
 *   generate  3 DDIM steps with CFG at 256 px (32×32 latents, through a hard-linked view with
 *             unet/config.json "sample_size": 32, scripts/scale-lib.ts): image [1, 3, 256, 256], finite;
 *   vjp load  the UNet and VAE-decoder VJP models built (or read from the cache) and their sessions created;
 *   gradient  one DNO iteration's forward and backward through the whole chain for a brightness reward:
 *             ∂/∂x_T and ∂/∂z_t of the right lengths, finite and non-zero (the noise-free last step's z
 *             exactly zero).
 * Prints a compact table of times and peak RSS; exits non-zero naming the model and the part that failed.
 * Missing folders are reported as skipped with the command that builds them.
 *
 *   flock /tmp/bigmem.lock npm run test:scale [-- --only sd15,sd21] [--models-dir DIR] [--threads N]
 * (--models-dir DIR checks folders elsewhere, e.g. models/sd_arch/tiny for a quick check of the script.)
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { DiffusionChain } from "@/server/executor/chain";
import { createExecutorEnvironment } from "@/server/executor/environment";
import { listModels } from "@/server/models/discovery";
import { seededNoise } from "@/server/models/noise";
import { encodePrompts, latentSize, sample } from "@/server/models/sampler";
import { readOnnxConfig } from "@/server/onnx/config";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { repoRoot } from "@/server/db/repo-root";
import {
  BUILD_COMMAND,
  folderProblem,
  latentView,
  mb,
  readRssMb,
  runChild,
  SCALE_FOLDERS,
  scaleChildEnv,
  sdArchDir,
  stamp,
  timed,
  viewsDir,
} from "./scale-lib";

const PX = 256;
const STEPS = 3;
const GUIDANCE = 7.5;
const PROMPT = "a photograph of an astronaut riding a horse";
const SCRIPT = "scripts/test-scale.ts";

interface ChildRequest {
  folder: string;
  sourceDir: string;
  view: string;
}

interface ChildResult {
  ok: boolean;
  /** The part that failed, when not ok. */
  part?: string;
  message?: string;
  load_s?: number;
  generate_s?: number;
  vjp_load_s?: number;
  iteration_s?: number;
  grad_norm?: number;
  prediction?: string;
  peak_rss_mb: number;
}

class PartFailure extends Error {
  constructor(
    readonly part: string,
    message: string,
  ) {
    super(message);
  }
}

const norm = (values: Float32Array) => Math.sqrt(values.reduce((sum, value) => sum + value * value, 0));
const allFinite = (values: Float32Array) => values.every((value) => Number.isFinite(value));

async function checkFolder(request: ChildRequest, result: ChildResult): Promise<void> {
  let part = "listing";
  const step = (name: string) => {
    part = name;
    console.error(`▶ ${name} (RSS peak ${mb(readRssMb("self")?.peak ?? 0)} MiB)`);
  };
  const fail = (message: string): never => {
    throw new PartFailure(part, message);
  };
  try {
    step("listing");
    const bundledDir = path.join(repoRoot(), "models");
    const id = `user:${request.folder}`;
    const listed = listModels({ bundledDir, userDir: path.dirname(request.sourceDir) }).find(
      (model) => model.id === id,
    );
    if (!listed) fail(`${id} is not listed with MODELS_DIR=${path.dirname(request.sourceDir)}`);
    if (!listed!.valid) {
      fail(
        `listed as invalid: ${listed!.problems.map((problem) => `${problem.file}: ${problem.message}`).join("; ")}`,
      );
    }
    for (const problem of listed!.problems)
      console.error(`  ${problem.severity}: ${problem.file}: ${problem.message}`);

    step("load");
    const onnx = await createOnnxRuntime(readOnnxConfig(process.env));
    const env = await createExecutorEnvironment({
      onnx,
      directories: { bundledDir, userDir: path.dirname(request.sourceDir) },
    });
    const loaded = await timed(() => env.diffusion.loadModel(id));
    result.load_s = loaded.ms / 1000;
    result.prediction = loaded.value.scheduler.prediction_type;

    step("generate");
    // The same files through the view with 32×32 latents: sessions are cached by content, so no second copy.
    const views = await createExecutorEnvironment({ onnx, directories: { bundledDir, userDir: viewsDir() } });
    const model = await views.diffusion.loadModel(`user:${request.view}`);
    const latent = model.latent;
    if (latent.height * 8 !== PX || latent.width * 8 !== PX) {
      fail(`the view has ${latent.height}×${latent.width} latents, expected ${PX / 8}×${PX / 8}`);
    }
    const settings = { steps: STEPS, eta: 1, guidanceScale: GUIDANCE };
    const noise = seededNoise({ seeds: [11], latentSize: latentSize(model), steps: STEPS });
    const generated = await timed(async () => {
      const conditioning = await encodePrompts(model, [PROMPT]);
      return sample({
        model,
        conditioning,
        xT: noise.xT,
        stepNoises: noise.stepNoises,
        ...settings,
        decode: true,
      });
    });
    result.generate_s = generated.ms / 1000;
    const image = generated.value.image;
    if (!image) fail("the generation returned no image");
    const dims = [image!.batch, image!.channels, image!.height, image!.width].join("×");
    if (dims !== `1×3×${PX}×${PX}`) fail(`image is ${dims}, expected 1×3×${PX}×${PX}`);
    if (!allFinite(image!.data)) fail("the image has non-finite values");

    step("vjp load");
    const chain = new DiffusionChain(model, onnx, env.vjpCache);
    result.vjp_load_s = (await timed(() => chain.prepareBackward())).ms / 1000;

    step("gradient");
    const iteration = await timed(async () => {
      const conditioning = await encodePrompts(model, [PROMPT]);
      const forward = await chain.forward(conditioning, noise.xT, noise.stepNoises, settings);
      // Brightness reward (mean of the image): its gradient is 1/N on every value.
      const imageGrad = new Float32Array(forward.image.data.length).fill(1 / forward.image.data.length);
      const x0 = forward.latents.at(-1)!;
      const x0Grad = await chain.decoderBackward(x0, 1, imageGrad);
      const gradient = await chain.samplerBackward(conditioning, forward.latents, x0Grad, settings, {
        stepNoiseGradients: true,
      });
      return { x0Grad, gradient };
    });
    result.iteration_s = iteration.ms / 1000;
    const { x0Grad, gradient } = iteration.value;
    const size = latentSize(model);
    if (x0Grad.length !== size) fail(`∂/∂x_0 has ${x0Grad.length} values, expected ${size}`);
    if (!allFinite(x0Grad) || norm(x0Grad) === 0)
      fail(`∂/∂x_0 is not finite and non-zero (norm ${norm(x0Grad)})`);
    if (gradient.xT.length !== size) fail(`∂/∂x_T has ${gradient.xT.length} values, expected ${size}`);
    if (!allFinite(gradient.xT)) fail("∂/∂x_T has non-finite values");
    result.grad_norm = norm(gradient.xT);
    if (result.grad_norm === 0) fail("∂/∂x_T is all zeros");
    const zs = gradient.stepNoises;
    if (!zs || zs.length !== STEPS)
      fail(`expected ${STEPS} step-noise gradients, got ${zs?.length ?? "none"}`);
    zs!.forEach((z, index) => {
      if (z.length !== size) fail(`∂/∂z of step ${index + 1} has ${z.length} values, expected ${size}`);
      if (!allFinite(z)) fail(`∂/∂z of step ${index + 1} has non-finite values`);
      const last = index === STEPS - 1;
      if (last && norm(z) !== 0) fail(`∂/∂z of the noise-free last step is not zero (norm ${norm(z)})`);
      if (!last && norm(z) === 0) fail(`∂/∂z of step ${index + 1} is all zeros`);
    });
    result.ok = true;
  } catch (error) {
    result.ok = false;
    result.part = error instanceof PartFailure ? error.part : part;
    result.message = error instanceof Error ? error.message : String(error);
  }
}

async function child(request: ChildRequest): Promise<void> {
  const result: ChildResult = { ok: false, peak_rss_mb: 0 };
  await checkFolder(request, result);
  result.peak_rss_mb = mb(readRssMb("self")?.peak ?? Number.NaN);
  console.log(`RESULT ${JSON.stringify(result)}`);
}

const cell = (value: number | undefined, digits = 1) => (value === undefined ? "—" : value.toFixed(digits));

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      child: { type: "string" },
      only: { type: "string" },
      threads: { type: "string" },
      "models-dir": { type: "string" },
    },
  });
  if (values.child) {
    await child(JSON.parse(values.child) as ChildRequest);
    return 0;
  }
  const root = path.resolve(values["models-dir"] ?? sdArchDir());
  const only = values.only?.split(",").filter(Boolean);
  const folders = SCALE_FOLDERS.filter((entry) => !only || only.includes(entry.folder));
  const env: Record<string, string> = {
    ...scaleChildEnv(),
    ...(values.threads ? { ORT_THREADS: values.threads } : {}),
  };
  const rows: string[][] = [];
  const failures: string[] = [];
  console.error(
    `test:scale — ${path.relative(process.cwd(), root) || "."}, ${PX} px, ${STEPS} steps, CFG ${GUIDANCE}`,
  );
  for (const entry of folders) {
    const sourceDir = path.join(root, entry.folder);
    const problem = folderProblem(sourceDir);
    if (problem) {
      rows.push([entry.folder, `skipped: ${problem}; build with ${BUILD_COMMAND}`]);
      continue;
    }
    const view = latentView(sourceDir, PX / 8).name;
    const prefix = `[${entry.folder}]`;
    console.error(`${stamp()} ${prefix} ${entry.label}: a fresh process`);
    const outcome = await runChild<ChildResult>(
      SCRIPT,
      ["--child", JSON.stringify({ folder: entry.folder, sourceDir, view } satisfies ChildRequest)],
      env,
      prefix,
    );
    const result = outcome.result;
    const peak = result?.peak_rss_mb ?? mb(outcome.sampledPeakMb);
    if (!result?.ok || outcome.code !== 0) {
      const lastPart = [...outcome.tail]
        .reverse()
        .find((line) => line.startsWith("▶ "))
        ?.slice(2)
        .split(" (")[0];
      const part = result?.part ?? lastPart ?? "start";
      const how =
        result?.message ?? (outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`);
      failures.push(`${entry.folder} (${entry.label}) failed at ${part}: ${how} (peak RSS ${peak} MiB)`);
    }
    rows.push([
      entry.folder,
      result?.ok && outcome.code === 0 ? "ok" : `FAILED at ${result?.part ?? "?"}`,
      entry.folder.endsWith("-fp16") ? "float16" : "float32",
      result?.prediction ?? "—",
      cell(result?.load_s),
      cell(result?.generate_s),
      cell(result?.vjp_load_s),
      cell(result?.iteration_s),
      result?.grad_norm === undefined ? "—" : result.grad_norm.toExponential(2),
      String(peak),
    ]);
  }
  const header = [
    "model",
    "status",
    "weights",
    "prediction",
    "load s",
    `gen ${STEPS} steps s`,
    "vjp load s",
    "fwd+bwd s",
    "|∂/∂x_T|",
    "peak RSS MiB",
  ];
  console.log(`test:scale: ${PX} px, ${STEPS} DDIM steps, CFG ${GUIDANCE}, eta 1, brightness reward`);
  console.log(header.join(" | "));
  for (const row of rows) console.log(row.join(" | "));
  for (const failure of failures) console.error(`✖ ${failure}`);
  if (failures.length === 0 && rows.every((row) => row[1]?.startsWith("skipped"))) {
    console.error(`No full-size folder is built yet: ${BUILD_COMMAND}`);
  }
  return failures.length > 0 ? 1 : 0;
}

process.exit(await main());
