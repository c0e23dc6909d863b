import { defineGuardKind } from "../types";

export const trustRegionGuardKind = defineGuardKind({
  id: "trust-region",
  order: 3,
  label: "Trust region (stay near the start)",
  help: "Limits how far the noise may move from where it started; steps that would go further are pulled back.",
  params: ["maxDistance"],
  attachTo: "noise",
  whenFired: "the noise had moved too far from where it started and the step was cut back.",
  whenQuiet: "the noise stayed within its allowed distance from the start.",
  reportKeys: () => ["trust-region", "trust-region:projection"],
});
