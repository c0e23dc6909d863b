/**
 * What a person sees in a result, measured (issue 11: examples that visibly do what they say): the bundled
 * classifier's probabilities per head, and the background's mean colour with a colour distance that says
 * whether the background kept its colour. Used by the examples' promise test and the examples script.
 */
import type { ImageClassifier } from "@/server/dno/rewards/classifier";
import { imageBatch } from "@/server/dno/rewards/reward";
import type { ImageTensor } from "@/server/models/image";

/** Head role ("shape", "color", "background") → label → probability, for image `index` of the batch. */
export type HeadProbabilities = Record<string, Record<string, number>>;

export async function headProbabilities(
  classifier: ImageClassifier,
  image: ImageTensor,
  index = 0,
): Promise<HeadProbabilities> {
  const perImage = 3 * image.height * image.width;
  const data = image.data.slice(index * perImage, (index + 1) * perImage);
  const heads = await classifier.forward(imageBatch(data, [1, 3, image.height, image.width]));
  const out: HeadProbabilities = {};
  for (const [role, head] of Object.entries(heads)) {
    const logits = Array.from(head.logits);
    const max = Math.max(...logits);
    const exps = logits.map((value) => Math.exp(value - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    out[role] = Object.fromEntries(head.labels.map((label, j) => [label, exps[j]! / sum]));
  }
  return out;
}

/** The most probable label of a head and its margin over the runner-up (p1 − p2). */
export function topLabel(probabilities: Record<string, number>): {
  label: string;
  p: number;
  margin: number;
} {
  const sorted = Object.entries(probabilities).sort((a, b) => b[1] - a[1]);
  const [first, second] = sorted;
  if (!first) throw new RangeError("topLabel: a head without labels.");
  return { label: first[0], p: first[1], margin: first[1] - (second?.[1] ?? 0) };
}

/** sRGB in [0, 1] per channel. */
export type Rgb = readonly [number, number, number];

function pixel(image: ImageTensor, index: number, p: number): Rgb {
  const plane = image.height * image.width;
  const base = index * 3 * plane;
  const value = (c: number) => Math.min(Math.max((image.data[base + c * plane + p]! + 1) / 2, 0), 1);
  return [value(0), value(1), value(2)];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function rgbDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

export interface BackgroundColour {
  /** Mean colour of the background pixels. */
  readonly rgb: Rgb;
  /** The share of the picture counted as background. */
  readonly share: number;
}

/**
 * The background's mean colour. The bundled model's pictures put the shape near the centre, so the
 * background's colour is the per-channel median of the 2-pixel frame (the median, not the mean, because a
 * large shape may touch the frame); the background pixels are those within `tolerance` (RGB distance, 0..√3)
 * of that colour, and their mean is the result. The default tolerance, 0.25, is well below the distance
 * between any two of the model's six colours (≥ 0.5 after its up-to-12/255 jitter) and well above the
 * jitter, so the shape is left out and the background's own shading kept in.
 */
export function backgroundColour(image: ImageTensor, index = 0, tolerance = 0.25): BackgroundColour {
  const { height, width } = image;
  const frame: Rgb[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (y < 2 || y >= height - 2 || x < 2 || x >= width - 2) frame.push(pixel(image, index, y * width + x));
  const reference: Rgb = [
    median(frame.map((c) => c[0])),
    median(frame.map((c) => c[1])),
    median(frame.map((c) => c[2])),
  ];
  const sum = [0, 0, 0];
  let count = 0;
  for (let p = 0; p < height * width; p++) {
    const colour = pixel(image, index, p);
    if (rgbDistance(colour, reference) > tolerance) continue;
    sum[0]! += colour[0];
    sum[1]! += colour[1];
    sum[2]! += colour[2];
    count++;
  }
  const rgb: Rgb = count > 0 ? [sum[0]! / count, sum[1]! / count, sum[2]! / count] : reference;
  return { rgb, share: count / (height * width) };
}

/** CIE L*a*b* (D65) of an sRGB colour in [0, 1]. */
export function rgbToLab(rgb: Rgb): readonly [number, number, number] {
  const linear = rgb.map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const [r, g, b] = linear as [number, number, number];
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 / 116) * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/**
 * How far a colour moved, in CIE L*a*b* units (ΔE*ab, 1976; about 2.3 is a just-noticeable difference):
 * the whole distance, and its part in the a*b* plane (hue and chroma, lightness left out — what changes when
 * a colour becomes another colour rather than a lighter or darker shade of itself).
 */
export function colourChange(from: Rgb, to: Rgb): { deltaE: number; hueChroma: number; lightness: number } {
  const a = rgbToLab(from);
  const b = rgbToLab(to);
  return {
    deltaE: Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]),
    hueChroma: Math.hypot(a[1] - b[1], a[2] - b[2]),
    lightness: b[0] - a[0],
  };
}

/** Mean brightness (mean of R, G, B in [0, 1]) of image `index`. */
export function meanBrightness(image: ImageTensor, index = 0): number {
  const perImage = 3 * image.height * image.width;
  let sum = 0;
  for (let i = index * perImage; i < (index + 1) * perImage; i++)
    sum += Math.min(Math.max((image.data[i]! + 1) / 2, 0), 1);
  return sum / perImage;
}

export interface ShapeOutline {
  /** The shape's share of the picture (pixels farther than the tolerance from the background colour). */
  readonly share: number;
  /**
   * Intersection over union of the shape with the disc of the same area centred on its centroid: 1 for a
   * perfect disc; about 0.86 for the model's squares, lower for lumps, arms and holes.
   */
  readonly discIou: number;
  /** Pieces of the shape (4-connected); a recognisable single shape has one (specks under 1 % ignored). */
  readonly pieces: number;
  /**
   * How much the outline's distance from the centroid varies: the standard deviation over the mean of the
   * distances of the shape's edge pixels. About 0.03 for a drawn disc, 0.11 for a square, more for lumps.
   */
  readonly radialSpread: number;
}

/** The shape as a person sees it: what is not background, its roundness and whether it is in one piece. */
export function shapeOutline(image: ImageTensor, index = 0, tolerance = 0.25): ShapeOutline {
  const { height, width } = image;
  const reference = frameColour(image, index);
  const mask = new Uint8Array(height * width);
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (let p = 0; p < height * width; p++) {
    if (rgbDistance(pixel(image, index, p), reference) <= tolerance) continue;
    mask[p] = 1;
    area++;
    cx += p % width;
    cy += Math.floor(p / width);
  }
  if (area === 0) return { share: 0, discIou: 0, pieces: 0, radialSpread: Number.POSITIVE_INFINITY };
  cx /= area;
  cy /= area;
  const radius = Math.sqrt(area / Math.PI);
  let intersection = 0;
  let disc = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius;
      if (inside) disc++;
      if (inside && mask[y * width + x]) intersection++;
    }
  const pieces = countPieces(mask, width, height, Math.max(1, Math.round(0.01 * height * width)));
  const distances: number[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      const edge =
        x === 0 ||
        y === 0 ||
        x === width - 1 ||
        y === height - 1 ||
        !mask[y * width + x - 1] ||
        !mask[y * width + x + 1] ||
        !mask[(y - 1) * width + x] ||
        !mask[(y + 1) * width + x];
      if (edge) distances.push(Math.hypot(x - cx, y - cy));
    }
  const meanDistance = distances.reduce((a, b) => a + b, 0) / distances.length;
  const spread = Math.sqrt(distances.reduce((a, d) => a + (d - meanDistance) ** 2, 0) / distances.length);
  return {
    share: area / (height * width),
    discIou: intersection / (area + disc - intersection),
    pieces,
    radialSpread: spread / meanDistance,
  };
}

function frameColour(image: ImageTensor, index: number): Rgb {
  const { height, width } = image;
  const frame: Rgb[] = [];
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (y < 2 || y >= height - 2 || x < 2 || x >= width - 2) frame.push(pixel(image, index, y * width + x));
  return [median(frame.map((c) => c[0])), median(frame.map((c) => c[1])), median(frame.map((c) => c[2]))];
}

function countPieces(mask: Uint8Array, width: number, height: number, minimum: number): number {
  const seen = new Uint8Array(mask.length);
  let pieces = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let size = 0;
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const p = stack.pop()!;
      size++;
      const x = p % width;
      const y = Math.floor(p / width);
      for (const [nx, ny] of [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
        [x, y + 1],
      ] as const) {
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (mask[q] && !seen[q]) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    if (size >= minimum) pieces++;
  }
  return pieces;
}
