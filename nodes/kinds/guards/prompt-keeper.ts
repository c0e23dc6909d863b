import { defineGuardKind } from "../types";

export const promptKeeperGuardKind = defineGuardKind({
  id: "prompt-keeper",
  order: 4.5,
  label: "Keep what the prompt asked for",
  help:
    "Keep what the prompt asked for: the shape and colours stay recognisable. The model's image checker " +
    "looks for the shape and colours named in the prompt; when it becomes unsure of one of them, the " +
    "optimization is held back.",
  params: ["keepFloor", "keepStrength"],
  attachTo: "image",
  whenFired:
    "what the prompt asked for (its colours or shape) fell below the floor, so the update was pushed back to keep it.",
  whenQuiet: "the prompt's colours and shape stayed above their floor.",
  reportKeys: () => ["prompt-keeper"],
});
