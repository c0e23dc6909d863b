/**
 * Small numeric helpers shared by the DNO engine. Every optimized tensor and every image is a flat
 * typed array; sums are accumulated in float64 whatever the storage type, because D reaches ~10^6 and
 * float32 accumulation would lose the low digits that PR and gradient norms depend on.
 */
export type FloatArray = Float32Array | Float64Array;

/** A value or a promise of it: rewards and model calls backed by ONNX Runtime are asynchronous. */
export type MaybePromise<T> = T | Promise<T>;

export function dot(a: FloatArray, b: FloatArray): number {
  assertSameLength(a, b, "dot");
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function squaredNorm(a: FloatArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    sum += v * v;
  }
  return sum;
}

export function norm(a: FloatArray): number {
  return Math.sqrt(squaredNorm(a));
}

/** Euclidean distance ‖a − b‖₂ without allocating the difference. */
export function distance(a: FloatArray, b: FloatArray): number {
  assertSameLength(a, b, "distance");
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/** out[i] += scale · x[i] (in place). */
export function addScaled(out: FloatArray, x: FloatArray, scale: number): void {
  assertSameLength(out, x, "addScaled");
  if (scale === 0) return;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! + scale * x[i]!;
}

/** out[i] *= scale (in place). */
export function scaleInPlace(out: FloatArray, scale: number): void {
  if (scale === 1) return;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
}

/** Cosine similarity; 0 when either vector is zero. */
export function cosineSimilarity(a: FloatArray, b: FloatArray): number {
  const denominator = norm(a) * norm(b);
  return denominator === 0 ? 0 : dot(a, b) / denominator;
}

export function assertSameLength(a: ArrayLike<number>, b: ArrayLike<number>, where: string): void {
  if (a.length !== b.length) {
    throw new RangeError(
      `${where}: length mismatch (${a.length} vs ${b.length}); pass tensors of one shape.`,
    );
  }
}
