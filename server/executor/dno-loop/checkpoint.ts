/**
 * Checkpoint/resume phase: what a checkpoint saves of the loop (JSON round-trips exactly), and the images
 * a resumed run gets back once the first iteration has told their size.
 */
import type { ImageTensor } from "@/server/models/image";
import type { DnoCheckpoint, LoopState, RunSetup } from "./types";

export function copyImage(image: ImageTensor): ImageTensor {
  return { ...image, data: Float32Array.from(image.data) };
}

export function checkpointOf(setup: RunSetup, state: LoopState, nextIteration: number): DnoCheckpoint {
  const plateauState = setup.plateau?.saveState();
  const { best, initialImage } = state;
  return {
    format: "dno-studio.checkpoint",
    version: 1,
    fingerprint: setup.fingerprint,
    nextIteration,
    noise: setup.zs.map((z) => Array.from(z)),
    optimizer: setup.optimizer.saveState(),
    plateau: plateauState
      ? { best: Number.isFinite(plateauState.best) ? plateauState.best : null, stale: plateauState.stale }
      : null,
    best: best
      ? {
          iteration: best.iteration,
          score: best.score,
          noise: best.noise.map((z) => Array.from(z)),
          image: Array.from(best.image.data),
        }
      : null,
    initialImage: initialImage ? Array.from(initialImage.data) : null,
    history: state.history.map((record) => structuredClone(record)),
    evaluations: { ...state.evaluations },
  };
}

/**
 * A checkpoint stores images as plain numbers without their size: the first image of the resumed run
 * (same model, same size) gives it. Then the initial image becomes the one this iteration produced.
 */
export function restoreCheckpointImages(
  setup: RunSetup,
  state: LoopState,
  resume: DnoCheckpoint | undefined,
  image: ImageTensor,
): void {
  const imageFromNumbers = (data: number[]): ImageTensor => ({
    batch: setup.batch,
    channels: 3,
    height: image.height,
    width: image.width,
    data: Float32Array.from(data),
  });
  if (resume && !state.initialImage && resume.initialImage)
    state.initialImage = imageFromNumbers(resume.initialImage);
  if (resume?.best && !state.best) {
    state.best = {
      iteration: resume.best.iteration,
      score: resume.best.score,
      noise: resume.best.noise.map((values) => Float32Array.from(values)),
      image: imageFromNumbers(resume.best.image),
    };
  }
  state.initialImage ??= copyImage(image);
}
