/**
 * Checks feeds against a model's declared inputs before they reach ONNX Runtime, whose own messages do not
 * say which model was called. Pure, so the checks are unit-tested without a session.
 */
import { OnnxFeedError } from "./errors";
import type { OnnxValue, TensorSpec } from "./types";

export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

export function checkFeeds(
  modelName: string,
  inputs: readonly TensorSpec[],
  feeds: Readonly<Record<string, OnnxValue>>,
): void {
  const declared = new Set(inputs.map((input) => input.name));
  for (const name of Object.keys(feeds)) {
    if (!declared.has(name)) {
      throw new OnnxFeedError("ONNX_FEED_UNKNOWN", {
        model: modelName,
        input: name,
        expected: [...declared].join(", "),
        given: name,
        message: `Model "${modelName}" has no input named "${name}"; its inputs are: ${[...declared].join(", ")}.`,
      });
    }
  }
  for (const spec of inputs) {
    const feed = feeds[spec.name];
    if (feed === undefined) {
      throw new OnnxFeedError("ONNX_FEED_MISSING", {
        model: modelName,
        input: spec.name,
        expected: `${spec.type} ${formatShape(spec.shape)}`,
        given: "nothing",
        message: `Model "${modelName}" needs input "${spec.name}" (${spec.type} ${formatShape(spec.shape)}), which was not given.`,
      });
    }
    // A device tensor holds the stored element type (float16 for a float16 model's input).
    const given = feed.type === "device" ? feed.elementType : feed.type;
    const stored = spec.castFrom ?? spec.type;
    const typeMatches = feed.type === "device" ? given === stored : given === spec.type;
    if (spec.type !== "unknown" && !typeMatches) {
      const expected = feed.type === "device" ? stored : spec.type;
      throw new OnnxFeedError("ONNX_FEED_TYPE", {
        model: modelName,
        input: spec.name,
        expected,
        given,
        message: `Model "${modelName}" input "${spec.name}" expects element type ${expected}, was given ${given}.`,
      });
    }
    const elementCount = feed.dims.reduce((product, dim) => product * dim, 1);
    const shapeMatches =
      feed.dims.length === spec.shape.length &&
      spec.shape.every((dim, axis) => (typeof dim === "number" && dim >= 0 ? feed.dims[axis] === dim : true));
    if (!shapeMatches || feed.dims.some((dim) => !Number.isInteger(dim) || dim < 0)) {
      throw new OnnxFeedError("ONNX_FEED_SHAPE", {
        model: modelName,
        input: spec.name,
        expected: formatShape(spec.shape),
        given: formatShape(feed.dims),
        message: `Model "${modelName}" input "${spec.name}" expects shape ${formatShape(spec.shape)}, was given ${formatShape(feed.dims)}.`,
      });
    }
    if (feed.type !== "device" && elementCount !== feed.data.length) {
      throw new OnnxFeedError("ONNX_FEED_SHAPE", {
        model: modelName,
        input: spec.name,
        expected: `${elementCount} elements for shape ${formatShape(feed.dims)}`,
        given: `${feed.data.length} elements`,
        message: `Model "${modelName}" input "${spec.name}": shape ${formatShape(feed.dims)} needs ${elementCount} elements, the data has ${feed.data.length}.`,
      });
    }
  }
}
