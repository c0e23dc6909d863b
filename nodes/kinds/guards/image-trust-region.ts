import { defineGuardKind } from "../types";

export const imageTrustRegionGuardKind = defineGuardKind({
  id: "image-trust-region",
  order: 3.5,
  label: "Picture stays near the start",
  help:
    "Lets the picture change only so much from the first one: once it differs from the starting picture " +
    "by more than the allowed amount, the optimization is held back.",
  params: ["imageRadius", "imageStrength"],
  attachTo: "image",
  whenFired:
    "the picture had moved too far from the starting picture and the update was pulled back toward it.",
  whenQuiet: "the picture stayed close enough to the starting picture.",
  reportKeys: () => ["image-trust-region"],
});
