/**
 * The DNO loop (METHOD.md §2–4), in named phases under ./dno-loop/:
 *   set-up      (set-up.ts)     Prompt and Noise nodes, the Sampler's model, rewards, guards, optimizer
 *   iteration   (iteration.ts)  forward, rewards, backward (or an estimator), guards, update
 *   checkpoint  (checkpoint.ts) what a checkpoint saves, and how a resumed run gets it back
 *   result      (here)          the images and the final checkpoint
 * Each iteration hands a record and the image to `onIteration` — no database here: the worker persists
 * RunStep rows and streams them. Each image of a batch has its own contiguous noise vector
 * z_b = (x_T, z_T … z_1) and is optimized on its own (clipping is per image); the chain runs the batch together.
 *
 * `iterations` counts evaluations: iteration k evaluates the noise after k updates, and the last one is
 * not followed by an update (so every recorded number belongs to an image the user can see).
 * Reproducible: the same plan, model files and seeds give the same numbers (PR permutations and estimator
 * perturbations are seeded by (seed, iteration)); a checkpoint taken after any iteration resumes to the
 * same numbers as an uninterrupted run.
 */
import { checkpointOf, copyImage } from "./dno-loop/checkpoint";
import { runIteration } from "./dno-loop/iteration";
import { restoreLoopState, setUpRun } from "./dno-loop/set-up";
import type { DnoResult, LoopState, RunDnoOptions, RunSetup } from "./dno-loop/types";
import { ExecutorError, throwIfAborted } from "./errors";

export { planFingerprint } from "./dno-loop/set-up";
export type {
  DnoCheckpoint,
  DnoResult,
  IterationEvent,
  IterationRecord,
  RunDnoOptions,
  StopReason,
} from "./dno-loop/types";

export async function runDno(options: RunDnoOptions): Promise<DnoResult> {
  const setup = await setUpRun(options);
  try {
    return await runLoop(setup, options);
  } finally {
    // A worker's process outlives its runs: what the chain kept goes with the run, not at some later collection.
    setup.chain.release();
  }
}

async function runLoop(setup: RunSetup, options: RunDnoOptions): Promise<DnoResult> {
  const state = restoreLoopState(setup, options.resume);
  for (let iteration = state.start; iteration < setup.iterations; iteration++) {
    throwIfAborted(options.signal, `before iteration ${iteration}`);
    const { record, image, isBest, stop, last } = await runIteration(setup, state, iteration, {
      ...(options.prPool ? { prPool: options.prPool } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
    });
    await options.onIteration?.({ record, image, isBest });
    if (stop) {
      state.stopReason = stop;
      setup.log(
        `Stopped after iteration ${iteration}: ${stop === "early-stop" ? "no progress (plateau)" : "a keeper reward fell below its floor"}.`,
      );
      break;
    }
    if (!last && options.onCheckpoint) await options.onCheckpoint(checkpointOf(setup, state, iteration + 1));
    if (options.pauseAfter !== undefined && state.ranThisCall >= options.pauseAfter && !last) {
      state.stopReason = "paused";
      break;
    }
  }
  return resultOf(setup, state);
}

/** Result phase: the initial, final, best and output images, and the checkpoint after the last iteration. */
function resultOf(setup: RunSetup, state: LoopState): DnoResult {
  const { lastImage, best, initialImage, history } = state;
  if (!lastImage || !best || !initialImage) {
    throw new ExecutorError(
      "PLAN_REFUSED",
      "The run evaluated no iteration: its checkpoint is already complete.",
    );
  }
  const lastIteration = history[history.length - 1]!.iteration;
  return {
    history,
    initialImage,
    finalImage: copyImage(lastImage),
    bestImage: best.image,
    bestIteration: best.iteration,
    resultImage: setup.keepBest ? best.image : copyImage(lastImage),
    stopReason: state.stopReason,
    checkpoint: checkpointOf(setup, state, lastIteration + 1),
    evaluations: state.evaluations,
    modelHashes: setup.modelHashes,
  };
}
