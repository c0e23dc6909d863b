import { describe, expect, it } from "vitest";
import { float32ToHalf, fromHalfBits, halfToFloat32, toHalfBits } from "./float16";

describe("float16 conversion", () => {
  it("encodes known values (normal, subnormal, limits, specials) as IEEE half bits", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds past the largest half: Infinity
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -26, 0x0000], // below half of it: zero
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // a tie rounds to even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // a tie rounds to even (up)
    ];
    for (const [value, bits] of cases) expect([value, toHalfBits(value)]).toEqual([value, bits]);
    expect(Number.isNaN(fromHalfBits(toHalfBits(Number.NaN)))).toBe(true);
  });

  it("round-trips every finite half exactly and keeps float32 values within half precision", () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromHalfBits(bits);
      if (Number.isFinite(value) && toHalfBits(value) !== bits) mismatches.push(bits);
    }
    expect(mismatches).toEqual([]);
    const values = Float32Array.from([0.1, -2.71, 1234.5, 1e-5, -7e-8]);
    const back = halfToFloat32(float32ToHalf(values));
    values.forEach((value, i) => {
      expect(Math.abs((back[i] ?? 0) - value)).toBeLessThanOrEqual(
        Math.max(Math.abs(value) * 2 ** -11, 2 ** -25),
      );
    });
  });
});
