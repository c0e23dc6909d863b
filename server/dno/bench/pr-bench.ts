/**
 * Times PR (R = 100) at the bundled model's and at Stable Diffusion's scale (51 noise tensors of
 * 4×8×8, 4×16×16 and 4×64×64), value only and value + gradient, on typical and drifted noise.
 * Run: npx tsx server/dno/bench/pr-bench.ts
 */
import { gaussian } from "@/server/models/rng";
import {
  createProbabilityRegularizationWorkspace,
  probabilityRegularization,
} from "../guards/probability-regularization";
import { ProbabilityRegularizationPool } from "../guards/probability-regularization-pool";

function time(label: string, run: () => number): void {
  run();
  const repeats = 3;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let value = 0;
  for (let i = 0; i < repeats; i++) value = run();
  const cpu = process.cpuUsage(cpuStart);
  // CPU time is the honest number on a shared machine; wall time includes waiting for a core.
  console.log(
    `${label}: ${((cpu.user + cpu.system) / 1000 / repeats).toFixed(1)} ms CPU, ` +
      `${((performance.now() - start) / repeats).toFixed(1)} ms wall (PR = ${value.toFixed(3)})`,
  );
}

for (const side of [8, 16, 64]) {
  const length = 51 * 4 * side * side;
  const z = gaussian(1, length);
  const drifted = z.map((v) => v * 1.05);
  const workspace = createProbabilityRegularizationWorkspace(length);
  const gradient = new Float32Array(length);
  const label = `D = ${length}`;
  time(`${label}, typical, value`, () => probabilityRegularization(z, { seed: 3 }, workspace).value);
  time(
    `${label}, typical, value+gradient`,
    () => probabilityRegularization(z, { seed: 3, gradient }, workspace).value,
  );
  time(
    `${label}, drifted, value+gradient`,
    () => probabilityRegularization(drifted, { seed: 3, gradient }, workspace).value,
  );
}

// The worker pool (default worker count for this host); wall time is what it saves.
const pool = new ProbabilityRegularizationPool();
const length = 51 * 4 * 64 * 64;
const z = gaussian(1, length);
const gradient = new Float32Array(length);
await pool.evaluate(z, { seed: 3, gradient });
const start = performance.now();
const pooled = await pool.evaluate(z, { seed: 3, gradient });
console.log(
  `D = ${length}, typical, value+gradient on ${pool.workerCount} worker(s): ${(performance.now() - start).toFixed(1)} ms wall ` +
    `(PR = ${pooled.value.toFixed(3)}, serial ${probabilityRegularization(z, { seed: 3 }).value.toFixed(3)})`,
);
await pool.close();
