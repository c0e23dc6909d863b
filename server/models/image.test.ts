import { describe, expect, it } from "vitest";
import { decodePng, encodePng, imageToRgb8, readPngText } from "./image";

describe("image tensors and PNG", () => {
  const image = {
    batch: 2,
    channels: 3 as const,
    height: 1,
    width: 2,
    // image 0: pixel 0 = (−1, 0, 1), pixel 1 = (2, −3, 0.5); image 1 all zeros
    data: new Float32Array([-1, 2, 0, -3, 1, 0.5, 0, 0, 0, 0, 0, 0]),
  };
  it("maps [−1, 1] to bytes with clamping and rounding", () => {
    expect(Array.from(imageToRgb8(image, 0).data)).toEqual([0, 128, 255, 255, 0, 191]);
    expect(Array.from(imageToRgb8(image, 1).data)).toEqual([128, 128, 128, 128, 128, 128]);
    expect(() => imageToRgb8(image, 2)).toThrow(/outside the batch of 2/);
  });
  it("round-trips through PNG with Latin-1 and UTF-8 text chunks", () => {
    const rgb = imageToRgb8(image, 0);
    const workflow = JSON.stringify({ nodes: [{ type: "prompt", text: "un cercle rouge — ✓" }] });
    const png = encodePng(rgb, { Software: "DNO Studio", workflow });
    expect(Array.from(decodePng(png).data)).toEqual(Array.from(rgb.data));
    expect(readPngText(png)).toEqual({ Software: "DNO Studio", workflow });
  });
});
