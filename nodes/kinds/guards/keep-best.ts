import { defineGuardKind } from "../types";

export const keepBestGuardKind = defineGuardKind({
  id: "keep-best",
  order: 6,
  label: "Keep the best picture",
  help: "The Optimizer outputs the best picture seen during the run rather than the last one.",
  params: [],
  attachTo: "loop",
  whenFired: "a new best picture was found and kept as the result.",
  whenQuiet: "no iteration beat the first picture, so the result is the first picture.",
  reportKeys: () => ["best-iterate"],
});
