/**
 * Runs an exported workflow with the DNO executor and prints one table row per iteration.
 *
 *   npm run dno -- --workflow FILE.json [--out DIR]
 *   npm run dno -- --server URL --token TOKEN --workflow WORKFLOW_ID   (a saved workflow, on a server: dno-remote.ts)
 *
 * Writes initial.png, best.png, final.png (one per image of a batch: best-<seed>.png …) and history.json
 * into DIR (default artifacts/dno/<time>). Exit codes: 2 usage or unreadable file, 3 the workflow cannot
 * run (validation issues per node, or a refused plan), 1 any other failure.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { asSentence } from "@/nodes/graph/format-issues";
import {
  CliError,
  outDirFailureMessage,
  prepareOutDir,
  unexpectedFailureMessage,
} from "@/server/cli/cli-errors";
import { sanitizeErrorMessage } from "@/server/sanitize-message";
import { ProbabilityRegularizationPool } from "@/server/dno/guards/probability-regularization-pool";
import { getDb } from "@/server/db/client";
import { createExecutorEnvironment } from "@/server/executor/environment";
import { ExecutorError } from "@/server/executor/errors";
import { parseWorkflowText } from "@/server/executor/load-workflow";
import { describePlan, guardReportKeys, planRun, type RunPlan } from "@/server/executor/plan";
import { type IterationRecord, runDno } from "@/server/executor/run-dno";
import { encodePng, imageToRgb8, type ImageTensor } from "@/server/models/image";
import { formatDevice } from "@/server/onnx/providers";
import { createAssetFiles } from "@/server/services/assets/resolve-asset-file";
import { remoteMain } from "./dno-remote";

function usage(message?: string): never {
  if (message) console.error(`dno: ${message}`);
  console.error("usage: npm run dno -- --workflow FILE.json [--out DIR]");
  process.exit(2);
}

function fmt(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const abs = Math.abs(value);
  return abs !== 0 && (abs >= 1e5 || abs < 1e-3) ? value.toExponential(2) : value.toFixed(digits);
}

function columns(plan: RunPlan) {
  const rewardNames = plan.rewards.map((reward) => ({ id: reward.id, title: reward.name }));
  return rewardNames;
}

function row(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((cell, i) => cell.padStart(widths[i] ?? 8)).join("  ");
}

/** “Guard name: value” per guard state, with “!” when it fired. */
function guardText(record: IterationRecord, names: ReadonlyMap<string, string>): string {
  return Object.entries(record.guards)
    .map(([key, state]) => `${names.get(key) ?? key}=${fmt(state.value, 3)}${state.fired ? "!" : ""}`)
    .join(" ");
}

function guardNames(plan: RunPlan): Map<string, string> {
  const names = new Map<string, string>();
  for (const [nodeId, keys] of Object.entries(guardReportKeys(plan))) {
    const guard = plan.guards.find((candidate) => candidate.id === nodeId)!;
    for (const key of keys)
      names.set(key, key.endsWith(":projection") ? `${guard.name} (projection)` : guard.name);
  }
  return names;
}

async function main(): Promise<void> {
  if (process.argv.includes("--server")) return remoteMain(process.argv.slice(2));
  let values: { workflow?: string; out?: string };
  try {
    ({ values } = parseArgs({ options: { workflow: { type: "string" }, out: { type: "string" } } }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  if (!values.workflow) usage("--workflow FILE.json is required");
  let text: string;
  try {
    text = readFileSync(values.workflow, "utf8");
  } catch (error) {
    usage(`cannot read ${values.workflow}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const loaded = parseWorkflowText(text, path.basename(values.workflow));
  let plan: RunPlan;
  try {
    plan = planRun(loaded.document);
  } catch (error) {
    if (error instanceof ExecutorError && error.issues.length > 0) {
      // Each issue already names its node (nodes/graph/format-issues.ts), as in the editor.
      console.error(`dno: ${values.workflow} cannot run. Fix these first:`);
      for (const issue of error.issues) console.error(`  - ${asSentence(issue.message)}`);
      process.exit(3);
    }
    throw error;
  }
  const out = values.out ?? path.join("artifacts", "dno", new Date().toISOString().replace(/[:.]/g, "-"));
  prepareOutDir(out);
  console.log(`Workflow: ${loaded.name ?? values.workflow}`);
  for (const line of describePlan(plan)) console.log(`  ${line}`);
  if (plan.ignored.length > 0)
    console.log(`  not run (they do not feed the Optimizer): ${plan.ignored.join(", ")}`);

  // Uploaded scorers are found by asset id in the app's database (opened only if a workflow names one).
  const env = await createExecutorEnvironment({
    assets: { scorerFile: (assetId, where) => createAssetFiles({ db: getDb() }).scorerFile(assetId, where) },
  });
  console.log(`Device: ${formatDevice(env.onnx.device)}`);
  if (env.onnx.device.note) console.log(`  (${env.onnx.device.note})`);
  const rewardColumns = columns(plan);
  const names = guardNames(plan);
  const header = [
    "iter",
    ...rewardColumns.map((c) => c.title.slice(0, 14)),
    "PR",
    // The calibrated meter: PR's percentile among fresh random noise of this size (METHOD.md §5).
    "PR pct",
    "objective",
    "gradNorm",
    "fwd ms",
    "bwd ms",
    "rew ms",
    "grd ms",
    "upd ms",
    "guards",
  ];
  const widths = header.map((cell) => Math.max(8, cell.length));
  widths[widths.length - 1] = 0;
  console.log(row(header, widths));
  const started = performance.now();
  const controller = new AbortController();
  process.once("SIGINT", () => {
    console.error("dno: cancelling after the current step…");
    controller.abort();
  });
  const prPool = new ProbabilityRegularizationPool();
  const result = await runDno({
    plan,
    env,
    prPool,
    signal: controller.signal,
    log: (message) => console.log(`  ${message}`),
    onIteration: ({ record, isBest }) => {
      const cells = [
        `${record.iteration}${isBest ? "*" : ""}`,
        ...rewardColumns.map((c) => fmt(record.rewards[c.id])),
        fmt(record.pr, 3),
        fmt(record.prMeter?.percentile, 1),
        fmt(record.objective),
        fmt(record.gradNorm),
        record.ms.forward.toFixed(0),
        record.ms.backward.toFixed(0),
        record.ms.rewards.toFixed(0),
        record.ms.guards.toFixed(0),
        record.ms.update.toFixed(0),
        guardText(record, names),
      ];
      console.log(row(cells, widths));
    },
  });
  await prPool.close();
  // The folder was writable at the start; a failure now (disk full, permissions changed) is said in words.
  const writeOut = (file: string, data: string | Uint8Array) => {
    try {
      writeFileSync(path.join(out, file), data);
    } catch (error) {
      throw new CliError(outDirFailureMessage(out, error), 1);
    }
  };
  const writeImages = (name: string, image: ImageTensor) => {
    for (let b = 0; b < image.batch; b++) {
      const file = image.batch === 1 ? `${name}.png` : `${name}-${plan.seeds[b]}.png`;
      writeOut(file, encodePng(imageToRgb8(image, b), { workflow: JSON.stringify(loaded.document) }));
    }
  };
  writeImages("initial", result.initialImage);
  writeImages("best", result.bestImage);
  writeImages("final", result.finalImage);
  writeOut(
    "history.json",
    `${JSON.stringify(
      {
        workflow: loaded.name ?? values.workflow,
        seeds: plan.seeds,
        device: formatDevice(env.onnx.device),
        modelHashes: result.modelHashes,
        rewards: Object.fromEntries(plan.rewards.map((reward) => [reward.id, reward.displayName])),
        guards: guardReportKeys(plan),
        stopReason: result.stopReason,
        bestIteration: result.bestIteration,
        evaluations: result.evaluations,
        history: result.history,
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    `Done in ${((performance.now() - started) / 1000).toFixed(1)} s (${result.stopReason}); best iteration ${result.bestIteration}. Wrote ${out}/{initial,best,final}.png and history.json`,
  );
}

// No stack traces for people: typed errors print their sentence, anything else its sanitized cause.
main().catch((error: unknown) => {
  if (error instanceof CliError) {
    console.error(`dno: ${error.message}`);
    process.exit(error.exitCode);
  }
  if (error instanceof ExecutorError) {
    console.error(`dno: ${sanitizeErrorMessage(error.message)}`);
    process.exit(error.code === "WORKFLOW_UNREADABLE" ? 2 : error.code === "CANCELLED" ? 130 : 3);
  }
  console.error(`dno: ${unexpectedFailureMessage(error)}`);
  process.exit(1);
});
