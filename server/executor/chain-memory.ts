/**
 * Which backward memory mode a run uses (DNO_MEMORY_MODE, DNO_MEMORY_BUDGET_MB; METHOD.md §4):
 *   recompute  each step's VJP recomputes the UNet forward (checkpointing): memory O(T·|x|)
 *   store      the forward keeps the activations the backward reads: no recomputed forward, T steps of
 *              activations in memory
 *   auto       store when T × (activations per step) plus the rest of the run fits the budget.
 * Store needs the exact reverse chain over the whole batch: runs whose gradient is estimated (zeroth-order,
 * hybrid) pull single images back and recompute.
 */
import { readFile } from "node:fs/promises";
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import { residualBytesPerCall } from "@/server/autodiff/split";
import { getSplitVjpModelForFile } from "@/server/autodiff/split-cache";
import type { DiffusionModel } from "@/server/models/folder";
import { type MemoryMode, memoryBudgetBytes, memoryModeSetting } from "@/server/onnx/memory-budget";
import type { BackwardMemoryMode } from "./chain";
import type { ExecutorEnvironment } from "./environment";
import { estimateDnoRunMemory, runBudget } from "./memory-check";

export interface MemoryModeDecision {
  readonly mode: BackwardMemoryMode;
  /** DNO_MEMORY_MODE as set. */
  readonly setting: MemoryMode;
  /** One sentence for the run's log: the mode and why. */
  readonly reason: string;
  /** Activations store mode keeps for the whole chain (T steps), when known. */
  readonly storeBytes?: number;
  readonly budgetBytes: number;
}

export interface MemoryModeInputs {
  readonly setting: MemoryMode;
  readonly budgetBytes: number;
  readonly steps: number;
  /** Host bytes of the activations one sampler step keeps (all its UNet calls); undefined when unknown. */
  readonly residualBytesPerStep: number | undefined;
  /** Everything else the run holds at its peak (models, sessions, buffers). */
  readonly otherBytes: number;
  /** Whether the run pulls the whole batch back through the exact chain (no gradient estimator). */
  readonly exactGradient: boolean;
}

export function formatMb(bytes: number): string {
  return `${Math.round(bytes / 1024 ** 2).toLocaleString("en-US")} MB`;
}

/** The decision itself (pure). */
export function decideMemoryMode(inputs: MemoryModeInputs): MemoryModeDecision {
  const { setting, budgetBytes, steps, residualBytesPerStep, otherBytes } = inputs;
  const storeBytes = residualBytesPerStep === undefined ? undefined : steps * residualBytesPerStep;
  const base = { setting, budgetBytes, ...(storeBytes === undefined ? {} : { storeBytes }) };
  if (setting === "recompute")
    return { ...base, mode: "recompute", reason: "Memory mode recompute (DNO_MEMORY_MODE=recompute)." };
  if (!inputs.exactGradient) {
    return {
      ...base,
      mode: "recompute",
      reason: `Memory mode recompute: the gradient estimator pulls single images back, which stored activations of the whole batch cannot serve (DNO_MEMORY_MODE=${setting}).`,
    };
  }
  const kept = storeBytes === undefined ? "" : ` (${formatMb(storeBytes)} of activations for ${steps} steps)`;
  if (setting === "store")
    return { ...base, mode: "store", reason: `Memory mode store${kept} (DNO_MEMORY_MODE=store).` };
  if (storeBytes === undefined) {
    return {
      ...base,
      mode: "recompute",
      reason:
        "Memory mode recompute: the size of the UNet's activations could not be worked out from its graph (DNO_MEMORY_MODE=auto).",
    };
  }
  const need = storeBytes + otherBytes;
  if (need <= budgetBytes) {
    return {
      ...base,
      mode: "store",
      reason: `Memory mode store${kept}: about ${formatMb(need)} in all fits the budget of ${formatMb(budgetBytes)} (DNO_MEMORY_MODE=auto).`,
    };
  }
  return {
    ...base,
    mode: "recompute",
    reason: `Memory mode recompute: keeping the activations${kept} would need about ${formatMb(need)}, over the budget of ${formatMb(budgetBytes)} (DNO_MEMORY_MODE=auto, DNO_MEMORY_BUDGET_MB).`,
  };
}

/**
 * Host bytes of the activations one sampler step keeps in store mode (2B rows of CFG, in the UNet's call
 * size), from shape inference on the split forward model; undefined when some size stays unknown.
 */
export async function residualBytesPerStep(
  model: DiffusionModel,
  batch: number,
  tokens: number,
  vjpCache: VjpCacheOptions,
): Promise<number | undefined> {
  const entry = await getSplitVjpModelForFile(
    model.unet.path,
    { wrt: ["sample"], of: model.io.unetOutput },
    vjpCache,
  );
  const rows = 2 * batch;
  const chunk = model.fixedBatch.unet ?? rows;
  const { channels, height, width } = model.latent;
  const perCall = residualBytesPerCall(new Uint8Array(await readFile(entry.forwardFile)), entry.residuals, {
    sample: [chunk, channels, height, width],
    // As the sampler feeds it: a scalar, one value, or one per row.
    timestep:
      model.io.timestep.rank === 0
        ? []
        : [model.unet.inputs.find((input) => input.name === "timestep")?.shape[0] === 1 ? 1 : chunk],
    encoder_hidden_states: [chunk, tokens, model.hiddenWidth],
  });
  return perCall === undefined ? undefined : perCall * (rows / chunk);
}

/**
 * The mode of a run: DNO_MEMORY_MODE / DNO_MEMORY_BUDGET_MB (or the environment's overrides), and for auto
 * the activations' size from the split model (built and cached now; with recompute or an estimator, nothing
 * is built).
 */
export async function chooseMemoryMode(options: {
  readonly model: DiffusionModel;
  readonly env: Pick<ExecutorEnvironment, "onnx" | "vjpCache" | "memoryMode" | "memoryBudgetBytes">;
  readonly steps: number;
  readonly batch: number;
  readonly tokens: number;
  readonly exactGradient: boolean;
}): Promise<MemoryModeDecision> {
  const { model, env, steps, batch, tokens, exactGradient } = options;
  const setting = env.memoryMode ?? memoryModeSetting();
  const provider = env.onnx.executionProvider;
  // The budget the pre-run check holds the run to (memory-check.ts): a GPU's when set, else the host's.
  const budgetBytes = runBudget(provider, env.memoryBudgetBytes ?? memoryBudgetBytes()).bytes;
  const sizes = setting === "recompute" || !exactGradient;
  let perStep: number | undefined;
  let other = 0;
  if (!sizes) {
    try {
      perStep = await residualBytesPerStep(model, batch, tokens, env.vjpCache);
    } catch {
      // A model the split cannot serve (e.g. a float64 activation): auto recomputes, store fails at load.
      perStep = undefined;
    }
    // The rest as the pre-run check estimates it for store mode (weights per session, one call's
    // activations, the runtime), so auto never picks a mode that check then refuses.
    if (perStep !== undefined) {
      const estimate = estimateDnoRunMemory({ model, batch, steps, storedBytesPerStep: perStep }, provider);
      other = estimate.totalBytes - estimate.storedBytes;
    }
  }
  return decideMemoryMode({
    setting,
    budgetBytes,
    steps,
    residualBytesPerStep: perStep,
    otherBytes: other,
    exactGradient,
  });
}
