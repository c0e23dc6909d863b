import { defineGuardKind } from "../types";

export const keepBestGuardKind = defineGuardKind({
  id: "keep-best",
  order: 6,
  label: "Keep the best picture",
  help: "The Optimizer outputs the best picture seen during the run rather than the last one.",
  params: [],
  attachTo: "loop",
  reportKeys: () => ["best-iterate"],
});
