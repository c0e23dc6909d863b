/**
 * Recipes benchmark (issue 12, METHOD.md §7): does the Optimizer's default reach the paper recipe's reward
 * in fewer iterations, without giving up what the prompt asked for?
 *
 * On the bundled model, a fixed set of prompt × seed × reward tasks — brightness, darkness, a classifier
 * shape change (square → circle) and JPEG compressibility through the hybrid estimator — runs twice through
 * the executor users run (planRun → runDno, the loop behind the app's worker and the CLI):
 *   (a) the paper's recipe: Adam, learning rate 1e-2 (1e-3 for brightness and darkness), gradient clip 1,
 *       constant step size, 100 iterations, probability regularization (γ = 1, 100 shuffles); hybrid with the
 *       paper's q = 8 tries of size μ = 0.01;
 *   (b) the defaults: an Optimizer node with every param at its declared default (only the estimator is
 *       chosen for JPEG), probability regularization and "keep the best picture" at their defaults, and the
 *       prompt keeper at its defaults except on the shape task (whose reward changes the shape the prompt
 *       names) — as the example workflows are built.
 * Per task it reports the reward the recipe reaches at 100 iterations (its last iteration), the iterations
 * the defaults need to reach it (first iteration at or above it, counted from 1; "not reached" within the
 * defaults' iterations), faithfulness kept = p(result) / p(start) where p is the bundled classifier's mean
 * probability of the attributes the prompt names (colours and shape; colours only on the shape task), and
 * the calibrated PR meter's percentile at the last iteration (METHOD.md §5).
 *
 * Progress on stderr; one line per task, then on the last stdout line:
 *   {"tasks":[…],"median_iterations_ratio":…,"faithfulness_kept_median":…,…}
 * iterations_ratio = iterations the defaults need / 100 (a task not reached counts as above every reached
 * one in the median; its ratio prints as null). Target: median_iterations_ratio ≤ 0.5 with
 * faithfulness_kept_median ≥ 0.9.
 *
 *   npm run bench:recipes [-- --quick] [-- --steps N --seeds 7,11 --tasks brightness,shape]
 * Default: 20 DDIM steps, seeds 7 and 11; --quick: 10 steps, seed 7. Fewer steps than the examples' 50 keep
 * it affordable (a 100-iteration recipe run at 50 steps takes about a minute of one core, the JPEG one about
 * four); the normalized direction makes the learning rate a per-value step, so its meaning does not depend
 * on the step count. Measured on the two cores shared with other work (load ~15): 18 minutes (--quick) and
 * 44 (default); unloaded the recipe's 100 iterations at 10 steps take about 18 s. ORT runs on one thread.
 */
import { parseArgs } from "node:util";
import { OnnxImageClassifier } from "@/server/executor/classifier";
import { createExecutorEnvironment } from "@/server/executor/environment";
import { planRun } from "@/server/executor/plan";
import { type IterationRecord, runDno } from "@/server/executor/run-dno";
import {
  defaultsSpec,
  keptProbability,
  RECIPE_ITERATIONS,
  RECIPE_MODEL as MODEL,
  RECIPE_TASKS,
  type RecipeTask,
  recipeSpec,
} from "@/server/executor/testing/recipe-tasks";
import { dnoWorkflow, type WorkflowSpec } from "@/server/executor/testing/workflows";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { median, round } from "./stats";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    steps: { type: "string" },
    seeds: { type: "string" },
    tasks: { type: "string" },
  },
});
const steps = Number.parseInt(values.steps ?? (values.quick ? "10" : "20"), 10);
const seeds = (values.seeds ?? (values.quick ? "7" : "7,11")).split(",").map((s) => Number.parseInt(s, 10));
if (!(steps >= 2) || seeds.some((seed) => !Number.isInteger(seed))) {
  console.error(
    "bench:recipes: --steps must be an integer ≥ 2 and --seeds a comma-separated list of integers.",
  );
  process.exit(2);
}

// --tasks brightness,shape: only the tasks whose names start with one of these words.
const only = values.tasks?.split(",").map((word) => word.trim().toLowerCase());
const tasks = RECIPE_TASKS.filter((task) => !only || only.some((word) => task.name.startsWith(word)));
if (tasks.length === 0) {
  console.error(
    `bench:recipes: --tasks matches none of ${RECIPE_TASKS.map((task) => task.name).join(", ")}.`,
  );
  process.exit(2);
}

const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
const env = await createExecutorEnvironment({ onnx });
const model = await env.diffusion.loadModel(MODEL);
const classifier = await OnnxImageClassifier.load(model.dir, env.onnx, { needer: "bench:recipes" });

interface RunSummary {
  rewards: number[];
  faithfulnessKept: number;
  percentile: number | null;
  seconds: number;
}

async function runOnce(task: RecipeTask, spec: WorkflowSpec, label: string): Promise<RunSummary> {
  const started = performance.now();
  const rewards: number[] = [];
  const result = await runDno({
    plan: planRun(dnoWorkflow(spec)),
    env,
    onIteration: ({ record }: { record: IterationRecord }) => {
      rewards.push(record.rewards["reward-1"]!);
      if (record.iteration % 10 === 0)
        console.error(
          `  ${label} iteration ${record.iteration}: reward ${record.rewards["reward-1"]!.toFixed(4)}, PR ${record.prMeter ? `${record.prMeter.percentile}th pct` : "—"}`,
        );
    },
  });
  const start = await keptProbability(classifier, task, result.initialImage);
  const end = await keptProbability(classifier, task, result.resultImage);
  return {
    rewards,
    faithfulnessKept: end / start,
    percentile: result.history.at(-1)!.prMeter?.percentile ?? null,
    seconds: (performance.now() - started) / 1000,
  };
}

console.error(
  `bench:recipes — ${MODEL}, ${steps} DDIM steps (eta 1, guidance 5), seeds ${seeds.join(", ")}; recipe: Adam, ${RECIPE_ITERATIONS} iterations`,
);
const rows: Record<string, unknown>[] = [];
const ratios: number[] = [];
const kept: number[] = [];
for (const task of tasks) {
  for (const seed of seeds) {
    console.error(`${task.name}, seed ${seed}:`);
    const recipe = await runOnce(task, recipeSpec(task, seed, steps), "recipe");
    const target = recipe.rewards.at(-1)!;
    const defaults = await runOnce(task, defaultsSpec(task, seed, steps), "defaults");
    const hit = defaults.rewards.findIndex((reward) => reward >= target);
    const iterations = hit >= 0 ? hit + 1 : null;
    ratios.push(iterations === null ? Number.POSITIVE_INFINITY : iterations / RECIPE_ITERATIONS);
    kept.push(defaults.faithfulnessKept);
    const row = {
      task: task.name,
      seed,
      recipe_reward: round(target, 4),
      recipe_faithfulness_kept: round(recipe.faithfulnessKept, 3),
      recipe_pr_percentile: recipe.percentile,
      iterations,
      defaults_iterations: defaults.rewards.length,
      defaults_reward: round(Math.max(...defaults.rewards), 4),
      faithfulness_kept: round(defaults.faithfulnessKept, 3),
      pr_percentile: defaults.percentile,
      seconds: [round(recipe.seconds, 0), round(defaults.seconds, 0)],
    };
    rows.push(row);
    console.log(
      `${task.name}, seed ${seed}: recipe reaches ${target.toFixed(4)} at ${RECIPE_ITERATIONS} (faithfulness kept ${recipe.faithfulnessKept.toFixed(3)}, PR ${recipe.percentile}th pct); ` +
        `defaults ${iterations === null ? `do not reach it in ${defaults.rewards.length}` : `reach it at iteration ${iterations}`} (best ${row.defaults_reward}), faithfulness kept ${defaults.faithfulnessKept.toFixed(3)}, PR ${defaults.percentile}th pct`,
    );
  }
}
const medianRatio = median(ratios.map((ratio) => (Number.isFinite(ratio) ? ratio : 1e9)));
console.log(
  JSON.stringify({
    tasks: rows,
    steps,
    seeds,
    median_iterations_ratio: medianRatio >= 1e9 ? null : round(medianRatio, 3),
    faithfulness_kept_median: round(median(kept), 3),
  }),
);
