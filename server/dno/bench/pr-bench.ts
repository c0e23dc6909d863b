/**
 * Times PR at Stable Diffusion scale (D = 51 × 4×64×64 = 835,584, R = 100), value only and value +
 * gradient, on typical and drifted noise. Run: npx tsx server/dno/bench/pr-bench.ts
 */
import { gaussian } from "@/server/models/rng";
import {
  createProbabilityRegularizationWorkspace,
  probabilityRegularization,
} from "../guards/probability-regularization";

const length = 835_584;
const z = gaussian(1, length);
const drifted = z.map((v) => v * 1.05);
const workspace = createProbabilityRegularizationWorkspace(length);
const gradient = new Float32Array(length);

function time(label: string, run: () => number): void {
  run();
  const repeats = 3;
  const start = performance.now();
  let value = 0;
  for (let i = 0; i < repeats; i++) value = run();
  console.log(
    `${label}: ${((performance.now() - start) / repeats).toFixed(1)} ms (PR = ${value.toFixed(3)})`,
  );
}

time("typical, value", () => probabilityRegularization(z, { seed: 3 }, workspace).value);
time("typical, value+gradient", () => probabilityRegularization(z, { seed: 3, gradient }, workspace).value);
time(
  "drifted, value+gradient",
  () => probabilityRegularization(drifted, { seed: 3, gradient }, workspace).value,
);
