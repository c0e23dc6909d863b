/**
 * Full-size benchmark (issue 15): the SD-1.5-architecture model built by `npm run build:sd-arch -- --scale
 * full` (.cache/sd-arch/sd15, or sd15-fp16 with --fp16), 10 DDIM steps, guidance 7.5 (CFG: batch 1 → UNet
 * batch 2), at 256 px and 512 px (32×32 / 64×64 latents), in recompute and/or store mode (DNO_MEMORY_MODE).
 *
 * Each configuration runs in a fresh child process (its peak RSS is its own VmHWM, also sampled every second
 * from the parent so a child killed for memory still reports how far it got), loading the model through the
 * normal loader (MODELS_DIR = .cache/sd-arch-views, hard-linked views of the build with the latent size set,
 * see scripts/scale-lib.ts). In the child:
 *   load_ms       model folder load (text encoder, UNet, VAE sessions);
 *   vjp_load_ms   the run's set-up before its first iteration: prompt encoding, building/reading the UNet and
 *                 VAE VJP models (or store mode's split models) and creating their sessions — once per
 *                 process, so left out of iter_ms;
 *   unet_ms       one CFG UNet forward call (batch 2), after one untimed warm-up call;
 *   generate_ms   one full generation: prompt encoding, 10 UNet calls, VAE decode;
 *   estimate_mb   the pre-run memory check's estimate of the peak (recompute, memory-check.ts), beside peak_rss_mb;
 *   peak_physical_mb  peak_rss_mb less the resident file pages RSS counts more than once at the end (the UNet's
 *                 shared weights are mapped by each of its sessions; RSS counts a page per mapping, memory
 *                 holds it once): what the run held, each page once;
 *   iter_ms       one DNO iteration of the app's loop (the worker's executor: forward, brightness reward,
 *                 backward through VAE and 10 UNet VJPs, Adam update), each followed by one generation with
 *                 the same settings; iter_over_generate is the ratio per such pair.
 * Repetitions (--reps, fresh processes) are interleaved across configurations: round 1 runs every
 * configuration once, then round 2, …; --iterations K measures K iteration/generation pairs per process.
 * With K ≥ 2 the iteration medians leave out each process's first iteration (first_iter_ms: it also pays
 * the first call of every backward session), as a run's tens of iterations do.
 * Reported: medians and p90 (scripts/stats.ts) per configuration as one JSON object each, with the load
 * averages seen (the machine has 2 cores shared with other work: timings under load are noisy). The last
 * line is the medians of the largest size in recompute mode (else of the last configuration measured), exactly:
 *   {"model":"sd15-arch","px":…,"steps":10,"unet_ms":…,"generate_ms":…,"iter_ms":…,"iter_over_generate":…,
 *    "peak_rss_mb":…,"mode":"recompute|store"}
 * Targets (read, never asserted): iter_over_generate ≤ 4.5 recompute, ≤ 3.3 store; peak RSS ≤ 16 GB at
 * 512 px fp32 recompute.
 *
 *   flock /tmp/bigmem.lock npm run bench:scale [-- --px 256,512] [--reps N] [--iterations K]
 *     [--mode recompute,store] [--fp16] [--threads N] [--steps N] [--unet-warmup N] [--models-dir DIR]
 *     [--huge-pages on,off]
 * (--threads sets ORT_THREADS in the children; --steps (default 10) and --unet-warmup 0 (untimed UNet calls
 * before the timed one, default 1) shorten a run on a loaded machine, the JSON then says "steps"; --huge-pages
 * on,off measures the children with and without malloc's huge pages (ORT_HUGE_PAGES, server/onnx/huge-pages.ts;
 * default on, as the worker runs); --models-dir takes the build folders from elsewhere, e.g.
 * models/sd_arch/tiny for a quick check of the script itself.)
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createExecutorEnvironment } from "@/server/executor/environment";
import { estimateDnoRunMemory } from "@/server/executor/memory-check";
import { dnoWorkflow } from "@/server/executor/testing/workflows";
import { seededNoise } from "@/server/models/noise";
import { createUnetCaller, encodePrompts, latentSize, sample } from "@/server/models/sampler";
import { readOnnxConfig } from "@/server/onnx/config";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { hugePagesActive } from "@/server/onnx/huge-pages";
import { createDnoExecutor } from "@/server/worker/dno-executor";
import {
  BUILD_COMMAND,
  folderProblem,
  latentView,
  loadAverage,
  mb,
  readRssCountedTwiceMb,
  readRssMb,
  runChild,
  scaleChildEnv,
  sdArchDir,
  stamp,
  timed,
  viewsDir,
} from "./scale-lib";
import { round, summarize } from "./stats";

/** The issue's setting; --steps shortens a run (the JSON then says the count). */
const DEFAULT_STEPS = 10;
const GUIDANCE = 7.5;
const PROMPT = "a photograph of an astronaut riding a horse";
const SCRIPT = "scripts/bench-scale.ts";

type Mode = "recompute" | "store";
type HugePages = "on" | "off";

interface ChildRequest {
  modelId: string;
  iterations: number;
  steps: number;
  unetWarmup: number;
}

interface ChildResult {
  load_ms: number;
  vjp_load_ms: number;
  unet_ms: number[];
  generate_ms: number[];
  iter_ms: number[];
  iter_over_generate: number[];
  forward_ms: number[];
  backward_ms: number[];
  peak_rss_mb: number;
  /**
   * Resident file pages counted more than once in RSS at the end (RssFile − Pss_File of this process): the
   * UNet's mapped, shared weights (memory-sharing.ts) are mapped by each of its sessions (forward, VJP; store
   * mode's split parts), and RSS counts a page once per mapping though memory holds it once.
   */
  rss_counted_twice_mb: number;
  /** The pre-run memory check's estimate of this run's peak (recompute; memory-check.ts), MiB. */
  estimate_mb: number;
  rss_after_mb: Record<string, number>;
  /** What the run's log said about its memory mode (the mode actually used, and why). */
  memory_log: string[];
  loadavg: number[];
  /** Whether malloc asked for transparent huge pages in this process (server/onnx/huge-pages.ts). */
  huge_pages: boolean;
}

// ---------- child: one configuration in this process ----------

async function runConfiguration(request: ChildRequest): Promise<ChildResult> {
  const progress = (message: string) =>
    console.error(`${message} (RSS peak ${mb(readRssMb("self")?.peak ?? 0)} MiB)`);
  const rssAfter: Record<string, number> = {};
  const mark = (phase: string) => {
    rssAfter[phase] = mb(readRssMb("self")?.peak ?? 0);
  };
  const onnx = await createOnnxRuntime(readOnnxConfig(process.env));
  const env = await createExecutorEnvironment({ onnx });
  const loaded = await timed(() => env.diffusion.loadModel(request.modelId));
  const model = loaded.value;
  mark("load");
  progress(`loaded ${request.modelId} in ${(loaded.ms / 1000).toFixed(1)} s`);
  const estimate = estimateDnoRunMemory({ model, batch: 1, steps: request.steps }, onnx.executionProvider);

  const settings = { steps: request.steps, eta: 1, guidanceScale: GUIDANCE };
  const noise = seededNoise({ seeds: [7], latentSize: latentSize(model), steps: request.steps });
  const generate = async () => {
    const { ms } = await timed(async () => {
      const conditioning = await encodePrompts(model, [PROMPT]);
      const result = await sample({
        model,
        conditioning,
        xT: noise.xT,
        stepNoises: noise.stepNoises,
        ...settings,
        decode: true,
      });
      if (!result.image) throw new Error("the generation returned no image");
    });
    return ms;
  };

  const conditioning = await encodePrompts(model, [PROMPT]);
  const callUnet = createUnetCaller(model, conditioning, GUIDANCE);
  const guided = new Float32Array(latentSize(model));
  for (let i = 0; i < request.unetWarmup; i++) await callUnet(noise.xT, 981, guided);
  const unet = await timed(() => callUnet(noise.xT, 501, guided));
  callUnet.dispose();
  mark("unet");
  progress(`UNet call ${(unet.ms / 1000).toFixed(1)} s`);

  const document = dnoWorkflow({
    model: request.modelId,
    prompt: PROMPT,
    noise: { seed: 7 },
    sampler: settings,
    rewards: [{ params: { kind: "brightness" } }],
    optimizer: { iterations: request.iterations, learningRate: 0.01 },
  });
  const iterMs: number[] = [];
  const forwardMs: number[] = [];
  const backwardMs: number[] = [];
  const generateMs: number[] = [];
  const memoryLog: string[] = [];
  const executor = createDnoExecutor({ environment: async () => env });
  // The run's set-up (prompt encoding, the VJP models built or read from the cache and their sessions
  // created, once per process) is what happens before the first iteration's own time starts.
  const executeStarted = performance.now();
  let setUpMs = Number.NaN;
  progress("set-up (VJP models and sessions) and iteration 1");
  await executor.execute({
    runId: "bench-scale",
    document,
    signal: new AbortController().signal,
    resume: null,
    onLog: (entry) => {
      console.error(`[${entry.level}] ${entry.message}`);
      if (/memory|recompute|store/i.test(entry.message)) memoryLog.push(entry.message);
    },
    onIteration: async ({ metrics }) => {
      const ms = metrics.ms;
      if (iterMs.length === 0) setUpMs = performance.now() - executeStarted - (ms.total ?? 0);
      iterMs.push(ms.total ?? Number.NaN);
      forwardMs.push(ms.forward ?? Number.NaN);
      backwardMs.push(ms.backward ?? Number.NaN);
      mark(`iteration_${metrics.iteration}`);
      progress(
        `iteration ${metrics.iteration}: ${((ms.total ?? Number.NaN) / 1000).toFixed(1)} s (forward ${((ms.forward ?? 0) / 1000).toFixed(1)} s, backward ${((ms.backward ?? 0) / 1000).toFixed(1)} s); generating`,
      );
      generateMs.push(await generate());
      mark(`generate_${metrics.iteration}`);
      progress(`generation ${(generateMs.at(-1)! / 1000).toFixed(1)} s`);
    },
  });
  return {
    load_ms: loaded.ms,
    vjp_load_ms: setUpMs,
    unet_ms: [unet.ms],
    generate_ms: generateMs,
    iter_ms: iterMs,
    iter_over_generate: iterMs.map((ms, i) => ms / generateMs[i]!),
    forward_ms: forwardMs,
    backward_ms: backwardMs,
    peak_rss_mb: mb(readRssMb("self")?.peak ?? Number.NaN),
    rss_counted_twice_mb: mb(readRssCountedTwiceMb("self")),
    estimate_mb: mb(estimate.totalBytes / 1024 ** 2),
    rss_after_mb: rssAfter,
    memory_log: memoryLog,
    loadavg: loadAverage(),
    huge_pages: hugePagesActive(),
  };
}

// ---------- parent: configurations, rounds, report ----------

/** Whether the chain reads DNO_MEMORY_MODE yet (store mode is being added to server/executor/chain.ts). */
function storeModeAvailable(): boolean {
  return ["chain.ts", "chain-memory.ts", "dno-loop/set-up.ts"].some((file) => {
    const full = path.join(process.cwd(), "server/executor", file);
    return existsSync(full) && /memoryModeSetting|DNO_MEMORY_MODE/.test(readFileSync(full, "utf8"));
  });
}

interface Configuration {
  px: number;
  mode: Mode;
  hugePages: HugePages;
  modelId: string;
  label: string;
  runs: ChildResult[];
  failures: string[];
  sampledPeakMb: number[];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      child: { type: "string" },
      px: { type: "string", default: "256,512" },
      reps: { type: "string", default: "1" },
      iterations: { type: "string", default: "1" },
      mode: { type: "string", default: "recompute,store" },
      fp16: { type: "boolean", default: false },
      threads: { type: "string" },
      "models-dir": { type: "string" },
      steps: { type: "string", default: String(DEFAULT_STEPS) },
      "unet-warmup": { type: "string", default: "1" },
      "huge-pages": { type: "string", default: process.env.ORT_HUGE_PAGES?.trim().toLowerCase() || "off" },
    },
  });
  if (values.child) {
    const result = await runConfiguration(JSON.parse(values.child) as ChildRequest);
    console.log(`RESULT ${JSON.stringify(result)}`);
    return 0;
  }

  const folder = values.fp16 ? "sd15-fp16" : "sd15";
  const source = path.resolve(values["models-dir"] ?? sdArchDir(), folder);
  const problem = folderProblem(source);
  if (problem) {
    console.error(
      `✖ The full-size model folder ${path.relative(process.cwd(), source)} is ${problem}. Build it with: ${BUILD_COMMAND}`,
    );
    return 1;
  }
  const pxList = (values.px ?? "").split(",").map((px) => Number.parseInt(px, 10));
  if (pxList.some((px) => !Number.isInteger(px) || px <= 0 || px % 8 !== 0)) {
    console.error(`✖ --px takes pixel sizes divisible by 8, e.g. 256,512; got "${values.px}".`);
    return 2;
  }
  const requestedModes = (values.mode ?? "").split(",").filter(Boolean);
  if (requestedModes.some((mode) => mode !== "recompute" && mode !== "store")) {
    console.error(`✖ --mode takes recompute and/or store; got "${values.mode}".`);
    return 2;
  }
  let modes = requestedModes as Mode[];
  if (modes.includes("store") && !storeModeAvailable()) {
    console.error(
      "store mode is not implemented yet (the executor does not read DNO_MEMORY_MODE yet): measuring recompute only.",
    );
    modes = modes.filter((mode) => mode !== "store");
    if (modes.length === 0) modes = ["recompute"];
  }
  const hugePagesList = (values["huge-pages"] ?? "").split(",").filter(Boolean);
  if (hugePagesList.length === 0 || hugePagesList.some((value) => value !== "on" && value !== "off")) {
    console.error(`✖ --huge-pages takes on and/or off; got "${values["huge-pages"]}".`);
    return 2;
  }
  const reps = Math.max(1, Number.parseInt(values.reps ?? "1", 10));
  const steps = Math.max(1, Number.parseInt(values.steps ?? String(DEFAULT_STEPS), 10));
  const unetWarmup = Math.max(0, Number.parseInt(values["unet-warmup"] ?? "1", 10));
  const iterations = Math.max(1, Number.parseInt(values.iterations ?? "1", 10));
  const childEnv: Record<string, string> = { ...scaleChildEnv(), MODELS_DIR: viewsDir() };
  if (values.threads) childEnv.ORT_THREADS = values.threads;

  const configurations: Configuration[] = [];
  for (const px of pxList) {
    const view = latentView(source, px / 8);
    for (const mode of modes) {
      for (const hugePages of hugePagesList as HugePages[]) {
        configurations.push({
          px,
          mode,
          hugePages,
          modelId: `user:${view.name}`,
          label: `[${folder} ${px}px ${mode}${hugePagesList.length > 1 ? ` huge pages ${hugePages}` : ""}]`,
          runs: [],
          failures: [],
          sampledPeakMb: [],
        });
      }
    }
  }
  console.error(
    `bench:scale — ${folder} (${path.relative(process.cwd(), source)}), ${steps} steps, CFG ${GUIDANCE}, px ${pxList.join(",")}, modes ${modes.join(",")}, ${reps} round(s) × ${iterations} iteration(s), ORT_THREADS ${values.threads ?? "auto"}; load ${loadAverage().join(" ")}`,
  );

  for (let round = 1; round <= reps; round++) {
    for (const configuration of configurations) {
      const prefix = `${configuration.label} round ${round}/${reps}`;
      console.error(`${stamp()} ${prefix} starting a fresh process`);
      const outcome = await runChild<ChildResult>(
        SCRIPT,
        [
          "--child",
          JSON.stringify({
            modelId: configuration.modelId,
            iterations,
            steps,
            unetWarmup,
          } satisfies ChildRequest),
        ],
        { ...childEnv, DNO_MEMORY_MODE: configuration.mode, ORT_HUGE_PAGES: configuration.hugePages },
        prefix,
      );
      configuration.sampledPeakMb.push(mb(outcome.sampledPeakMb));
      if (outcome.result && outcome.code === 0) {
        configuration.runs.push(outcome.result);
        console.error(
          `${stamp()} ${prefix} done in ${(outcome.wallMs / 60000).toFixed(1)} min, peak RSS ${outcome.result.peak_rss_mb} MiB`,
        );
      } else {
        const how = outcome.signal
          ? `killed by ${outcome.signal}${outcome.signal === "SIGKILL" ? " (usually the kernel's out-of-memory killer: see dmesg)" : ""}`
          : `exit code ${outcome.code}`;
        const failure = `${how} after ${(outcome.wallMs / 60000).toFixed(1)} min, peak RSS ${mb(outcome.sampledPeakMb)} MiB (sampled); last output: ${outcome.tail.slice(-3).join(" | ")}`;
        configuration.failures.push(failure);
        console.error(`${stamp()} ${prefix} FAILED: ${failure}`);
      }
    }
  }

  const lines: Record<string, unknown>[] = [];
  for (const configuration of configurations) {
    const runs = configuration.runs;
    const base = {
      model: "sd15-arch",
      folder,
      px: configuration.px,
      steps,
      mode: configuration.mode,
      threads: values.threads ? Number(values.threads) : "auto",
      huge_pages: configuration.hugePages,
    };
    if (runs.length === 0) {
      console.log(
        JSON.stringify({
          ...base,
          failed: configuration.failures,
          peak_rss_mb: Math.max(...configuration.sampledPeakMb),
        }),
      );
      continue;
    }
    const stat = (pick: (run: ChildResult) => number[], digits = 1) => {
      const summary = summarize(runs.flatMap(pick));
      return { median: round(summary.median, digits), p90: round(summary.p90, digits), n: summary.n };
    };
    // A run's first iteration also pays each backward session's first call (ONNX Runtime plans its buffers
    // then: 15 s more for store mode's split forward at 256 px); a run has tens of iterations, so with
    // --iterations ≥ 2 the medians are of the later ones and the first is reported apart.
    const warm = (values: number[]) => (values.length >= 2 ? values.slice(1) : values);
    const unet = stat((run) => run.unet_ms);
    const generate = stat((run) => warm(run.generate_ms));
    const iter = stat((run) => warm(run.iter_ms));
    const ratio = stat((run) => warm(run.iter_over_generate), 3);
    const firstIteration = stat((run) => run.iter_ms.slice(0, 1));
    const peak = stat((run) => [run.peak_rss_mb], 0);
    // The peak with every resident page counted once (what memory held; the UNet's weights are mapped twice).
    const physical = stat((run) => [run.peak_rss_mb - run.rss_counted_twice_mb], 0);
    const line = {
      ...base,
      unet_ms: unet.median,
      generate_ms: generate.median,
      iter_ms: iter.median,
      iter_over_generate: ratio.median,
      peak_rss_mb: peak.median,
      peak_physical_mb: physical.median,
      p90: {
        unet_ms: unet.p90,
        generate_ms: generate.p90,
        iter_ms: iter.p90,
        iter_over_generate: ratio.p90,
        peak_rss_mb: peak.p90,
        peak_physical_mb: physical.p90,
      },
      n: { processes: runs.length, iterations: iter.n },
      first_iter_ms: firstIteration.median,
      forward_ms: stat((run) => warm(run.forward_ms)).median,
      backward_ms: stat((run) => warm(run.backward_ms)).median,
      load_ms: stat((run) => [run.load_ms]).median,
      vjp_load_ms: stat((run) => [run.vjp_load_ms]).median,
      estimate_mb: runs.at(-1)!.estimate_mb,
      rss_after_mb: runs.at(-1)!.rss_after_mb,
      memory_log: [...new Set(runs.flatMap((run) => run.memory_log ?? []))],
      loadavg: runs.map((run) => run.loadavg),
      ...(configuration.failures.length ? { failed: configuration.failures } : {}),
    };
    lines.push(line);
    console.log(JSON.stringify(line));
  }
  // The last line: the largest size in recompute mode (the issue's memory target), else the last one measured.
  const largest = Math.max(...lines.map((line) => Number(line.px)));
  const first =
    lines.find((line) => line.px === largest && line.mode === "recompute" && line.huge_pages === "on") ??
    lines.find((line) => line.px === largest && line.mode === "recompute") ??
    lines.at(-1);
  if (!first) {
    console.error("✖ No configuration finished: see the failures above.");
    return 1;
  }
  const pick = [
    "model",
    "px",
    "steps",
    "unet_ms",
    "generate_ms",
    "iter_ms",
    "iter_over_generate",
    "peak_rss_mb",
    "mode",
  ];
  console.log(JSON.stringify(Object.fromEntries(pick.map((key) => [key, first[key]]))));
  return configurations.some((configuration) => configuration.failures.length > 0) ? 1 : 0;
}

process.exit(await main());
