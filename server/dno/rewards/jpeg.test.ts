import { decode, encode } from "jpeg-js";
import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import { createJpegCompressibilityReward, createJpegIncompressibilityReward, jpegSizes } from "./jpeg";
import { imageBatch } from "./reward";

describe("JPEG rewards (real encoding)", () => {
  const size = 32;
  const pixels = size * size;
  // Image 0: smooth gradient; image 1: noise.
  const data = new Float32Array(2 * 3 * pixels);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < pixels; p++) data[c * pixels + p] = (p % size) / size - 0.5;
  }
  data.set(gaussian(9, 3 * pixels), 3 * pixels);
  const images = imageBatch(data, [2, 3, size, size]);

  it("scores −kB / +kB of the real encoding, noise is less compressible than a smooth image", async () => {
    const compress = await createJpegCompressibilityReward().evaluate(images);
    const incompress = await createJpegIncompressibilityReward().evaluate(images);
    expect(compress[0]).toBeGreaterThan(compress[1]!);
    expect(incompress[1]).toBeGreaterThan(incompress[0]!);
    expect(incompress[0]).toBeCloseTo(-compress[0]!, 12);
    expect(createJpegCompressibilityReward().differentiable).toBe(false);
    expect(createJpegCompressibilityReward().valueAndGradient).toBeUndefined();
  });

  it("encodes the bytes round(clamp((x + 1)/2)·255) and the size is the encoder's output length", () => {
    const sizes = jpegSizes(images, 80);
    const rgba = Buffer.alloc(pixels * 4);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < 3; c++) {
        const u = Math.min(1, Math.max(0, (data[3 * pixels + c * pixels + p]! + 1) / 2));
        rgba[4 * p + c] = Math.round(u * 255);
      }
      rgba[4 * p + 3] = 255;
    }
    const encoded = encode({ data: rgba, width: size, height: size }, 80);
    expect(sizes[1]).toBe(encoded.data.length);
    const decoded = decode(encoded.data);
    expect(decoded.width).toBe(size);
    // Lower quality gives a smaller file.
    expect(jpegSizes(images, 30)[1]).toBeLessThan(sizes[1]!);
  });
});
