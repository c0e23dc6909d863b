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
