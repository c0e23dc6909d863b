import { defineGuardImplementation } from "../types";

export const keepBestGuard = defineGuardImplementation("keep-best", {
  attachTo: "loop",
  createLoopGuard: () => ({ kind: "keep-best" }),
});
