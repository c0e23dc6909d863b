/**
 * CLIP's image preprocessing as a linear map with its exact transpose, so a scorer's image gradient flows back
 * through it to the VAE decoder.
 *
 * OpenAI CLIP (`clip/clip.py`, `_transform`) and Hugging Face's `CLIPImageProcessor` do, on a PIL image:
 *   Resize(224, BICUBIC)  the shorter side to 224, the longer to int(224 · long / short)
 *   CenterCrop(224)       top = round((h − 224)/2), left = round((w − 224)/2) (torchvision; Python's round)
 *   ToTensor              bytes / 255 → [0, 1]
 *   Normalize(mean, std)  CLIP's mean (0.48145466, 0.4578275, 0.40821073), std (0.26862954, 0.26130258, 0.27577711)
 *
 * PIL's bicubic resize is the one implemented here: the cubic convolution kernel with a = −0.5, antialiased —
 * when shrinking, the kernel is stretched by the shrink factor (support 2·scale input pixels each side), so
 * every input pixel contributes (no aliasing); when enlarging (e.g. 64 → 224), support 2. Taps falling outside
 * the image are dropped and the remaining weights renormalized to sum 1 (no edge padding). This is PIL's
 * `ImagingResample` and torch's `interpolate(mode="bicubic", antialias=True, align_corners=False)`, which
 * torchvision's `Resize(antialias=True)` calls on tensors; the fixture test checks both. Two deliberate
 * differences from CLIP on a PIL image: no rounding to 8 bits after the resize and no clamping of the
 * bicubic overshoot to [0, 255] (both would make the map non-differentiable), so values differ from a PIL
 * pipeline by at most that rounding on in-range pictures.
 *
 * Our images are [B, 3, H, W] in [−1, 1] (server/models/image.ts), so pixels in [0, 1] are u = (x + 1)/2;
 * the resize weights sum to 1, so mapping before or after the resize is the same. Per channel c:
 *   n_c = (R_h · (x_c + 1)/2 · R_wᵀ − mean_c) / std_c        ∂/∂x_c = R_hᵀ · g_c / (2 std_c) · R_w
 * with R_h, R_w the (cropped) resize matrices, stored sparse, one row per output pixel.
 */
import type { ImageBatch } from "@/server/dno/rewards/reward";

export const CLIP_SIZE = 224;
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

/** One axis of a resize as a sparse matrix: output o reads inputs first[o] … first[o] + count[o] − 1. */
export interface ResizeTaps {
  readonly inSize: number;
  readonly outSize: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** Row o's weights start at offset[o]; they sum to 1. */
  readonly offset: Int32Array;
  readonly weights: Float64Array;
}

/** PIL's bicubic kernel (a = −0.5). */
function cubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/**
 * PIL's antialiased bicubic taps from `inSize` to `resizedSize`, keeping outputs `crop` … `crop + outSize − 1`
 * (the center crop folded into the matrix).
 */
export function bicubicAntialiasTaps(
  inSize: number,
  resizedSize: number,
  crop = 0,
  outSize = resizedSize - crop,
): ResizeTaps {
  const scale = inSize / resizedSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const offset = new Int32Array(outSize);
  const all: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + crop + 0.5) * scale;
    // PIL truncates toward zero (a C cast) before clipping to the image.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    const row: number[] = [];
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const w = cubic((i - center + 0.5) / filterScale);
      row.push(w);
      sum += w;
    }
    first[o] = lo;
    count[o] = row.length;
    offset[o] = all.length;
    for (const w of row) all.push(sum === 0 ? 0 : w / sum);
  }
  return { inSize, outSize, first, count, offset, weights: Float64Array.from(all) };
}

/** Python 3's round(): halves go to the even neighbour (torchvision's center crop uses it). */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Resized size (shorter side → size) and crop offsets, as torchvision's Resize(size) + CenterCrop(size). */
export function clipGeometry(
  height: number,
  width: number,
  size = CLIP_SIZE,
): { resizedHeight: number; resizedWidth: number; top: number; left: number } {
  const short = Math.min(height, width);
  const long = Math.max(height, width);
  const resizedLong = Math.trunc((size * long) / short);
  const resizedHeight = height <= width ? size : resizedLong;
  const resizedWidth = height <= width ? resizedLong : size;
  return {
    resizedHeight,
    resizedWidth,
    top: roundHalfEven((resizedHeight - size) / 2),
    left: roundHalfEven((resizedWidth - size) / 2),
  };
}

/** The two axes of CLIP's preprocessing for an H × W picture. */
export interface ClipPlan {
  readonly rows: ResizeTaps;
  readonly cols: ResizeTaps;
  readonly size: number;
}

const plans = new Map<string, ClipPlan>();

export function clipPlan(height: number, width: number, size = CLIP_SIZE): ClipPlan {
  const key = `${height}x${width}:${size}`;
  const cached = plans.get(key);
  if (cached) return cached;
  const geometry = clipGeometry(height, width, size);
  const plan = {
    rows: bicubicAntialiasTaps(height, geometry.resizedHeight, geometry.top, size),
    cols: bicubicAntialiasTaps(width, geometry.resizedWidth, geometry.left, size),
    size,
  };
  plans.set(key, plan);
  return plan;
}

/** CLIP's preprocessing of the batch ([−1, 1] pixels) into [B, 3, 224, 224]. */
export function clipPreprocess(images: ImageBatch, size = CLIP_SIZE): Float32Array {
  const { batch, height, width, data } = images;
  const { rows, cols } = clipPlan(height, width, size);
  const out = new Float32Array(batch * 3 * size * size);
  // Columns first: each input row becomes `size` values, then rows combine them.
  const across = new Float64Array(height * size);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < 3; c++) {
      const plane = (b * 3 + c) * height * width;
      for (let y = 0; y < height; y++) {
        const line = plane + y * width;
        for (let x = 0; x < size; x++) {
          let sum = 0;
          const start = cols.first[x]!;
          const at = cols.offset[x]!;
          for (let k = 0; k < cols.count[x]!; k++) sum += cols.weights[at + k]! * data[line + start + k]!;
          across[y * size + x] = sum;
        }
      }
      const target = (b * 3 + c) * size * size;
      const mean = CLIP_MEAN[c]!;
      const std = CLIP_STD[c]!;
      for (let y = 0; y < size; y++) {
        const start = rows.first[y]!;
        const at = rows.offset[y]!;
        const n = rows.count[y]!;
        for (let x = 0; x < size; x++) {
          let sum = 0;
          for (let k = 0; k < n; k++) sum += rows.weights[at + k]! * across[(start + k) * size + x]!;
          out[target + y * size + x] = ((sum + 1) / 2 - mean) / std;
        }
      }
    }
  }
  return out;
}

/** The exact transpose of `clipPreprocess`'s linear part: ∂score/∂n ([B, 3, 224, 224]) → ∂score/∂x into `out`. */
export function clipPreprocessAdjoint(
  images: ImageBatch,
  inputGradient: Float32Array,
  out: Float32Array,
  size = CLIP_SIZE,
): void {
  const { batch, height, width } = images;
  const { rows, cols } = clipPlan(height, width, size);
  out.fill(0);
  const across = new Float64Array(height * size);
  for (let b = 0; b < batch; b++) {
    for (let c = 0; c < 3; c++) {
      across.fill(0);
      const source = (b * 3 + c) * size * size;
      const scale = 1 / (2 * CLIP_STD[c]!);
      for (let y = 0; y < size; y++) {
        const start = rows.first[y]!;
        const at = rows.offset[y]!;
        const n = rows.count[y]!;
        for (let x = 0; x < size; x++) {
          const g = inputGradient[source + y * size + x]! * scale;
          if (g === 0) continue;
          for (let k = 0; k < n; k++) {
            const i = (start + k) * size + x;
            across[i] = across[i]! + rows.weights[at + k]! * g;
          }
        }
      }
      const plane = (b * 3 + c) * height * width;
      for (let y = 0; y < height; y++) {
        const line = plane + y * width;
        for (let x = 0; x < size; x++) {
          const g = across[y * size + x]!;
          if (g === 0) continue;
          const start = cols.first[x]!;
          const at = cols.offset[x]!;
          for (let k = 0; k < cols.count[x]!; k++) {
            out[line + start + k] = out[line + start + k]! + cols.weights[at + k]! * g;
          }
        }
      }
    }
  }
}
