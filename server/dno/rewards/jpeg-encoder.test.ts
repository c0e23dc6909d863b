import { encode } from "jpeg-js";
import { describe, expect, it } from "vitest";
import { createRng } from "@/server/models/rng";
import { encodeJpeg } from "./jpeg-encoder";

/** jpeg-js's encoding of the same pixels (RGBA interleaved), the reference. */
function referenceEncode(planar: Uint8Array, width: number, height: number, quality: number): Uint8Array {
  const pixels = width * height;
  const rgba = Buffer.alloc(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    rgba[4 * p] = planar[p]!;
    rgba[4 * p + 1] = planar[pixels + p]!;
    rgba[4 * p + 2] = planar[2 * pixels + p]!;
    rgba[4 * p + 3] = 255;
  }
  return new Uint8Array(encode({ data: rgba, width, height }, quality).data);
}

function image(
  kind: "noise" | "gradient" | "flat" | "white",
  width: number,
  height: number,
  seed = 1,
): Uint8Array {
  const rng = createRng(seed);
  const pixels = width * height;
  const out = new Uint8Array(3 * pixels);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < pixels; p++) {
      const x = p % width;
      const y = Math.floor(p / width);
      out[c * pixels + p] =
        kind === "noise"
          ? rng.int(256)
          : kind === "gradient"
            ? Math.round((255 * (x + y * (c + 1))) / (width + height * 3))
            : kind === "flat"
              ? [200, 30, 90][c]!
              : 255;
    }
  }
  return out;
}

describe("encodeJpeg (typed-array port of jpeg-js)", () => {
  it("writes exactly jpeg-js's bytes: noise, gradients, flat colours, ragged sizes, all qualities", () => {
    const cases: [Parameters<typeof image>[0], number, number, number][] = [
      ["noise", 16, 16, 95],
      ["noise", 37, 21, 50],
      ["noise", 5, 3, 1],
      ["gradient", 64, 48, 95],
      ["gradient", 33, 17, 75],
      ["gradient", 64, 64, 100],
      ["flat", 24, 8, 95],
      ["white", 8, 8, 95],
      ["noise", 64, 64, 30],
      ["gradient", 20, 20, 10],
    ];
    for (const [kind, width, height, quality] of cases) {
      const pixels = image(kind, width, height);
      const ours = encodeJpeg(pixels, width, height, quality);
      const reference = referenceEncode(pixels, width, height, quality);
      expect(ours.length, `${kind} ${width}×${height} q${quality}`).toBe(reference.length);
      expect(Buffer.from(ours).equals(Buffer.from(reference)), `${kind} ${width}×${height} q${quality}`).toBe(
        true,
      );
    }
  });

  it("names bad input", () => {
    expect(() => encodeJpeg(new Uint8Array(10), 2, 2)).toThrow(/expected 12 bytes/);
    expect(() => encodeJpeg(new Uint8Array(0), 0, 2)).toThrow(/width and height/);
  });
});
