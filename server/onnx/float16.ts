/**
 * IEEE 754 half precision ↔ float32, for float16 models: the runtime casts their float inputs and outputs at
 * the session boundary so the rest of the app sees float32 only. Rounding is to nearest, ties to even
 * (what a Cast node does); values beyond the half range become ±Infinity, NaN stays NaN.
 */

const scratch = new DataView(new ArrayBuffer(4));

/** The float16 bit pattern nearest to `value`. */
export function toHalfBits(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Infinity or NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // too large: Infinity
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full mantissa (with its implicit 1) into place, rounding to even.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const rounded = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const up = remainder > halfway || (remainder === halfway && (rounded & 1) === 1);
    return sign | (rounded + (up ? 1 : 0));
  }
  const rounded = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const up = remainder > 0x1000 || (remainder === 0x1000 && (rounded & 1) === 1);
  // A carry out of the mantissa moves into the exponent, which is the correct next value (up to Infinity).
  return sign | (rounded + (up ? 1 : 0));
}

/** The float32 value of a float16 bit pattern. */
export function fromHalfBits(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function float32ToHalf(
  source: Float32Array,
  target: Uint16Array = new Uint16Array(source.length),
): Uint16Array {
  for (let i = 0; i < source.length; i++) target[i] = toHalfBits(source[i]!);
  return target;
}

export function halfToFloat32(
  source: Uint16Array,
  target: Float32Array = new Float32Array(source.length),
): Float32Array {
  for (let i = 0; i < source.length; i++) target[i] = fromHalfBits(source[i]!);
  return target;
}
