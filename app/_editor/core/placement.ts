/**
 * Where new cards go: into free space, never on top of another card. Click-to-add used to stagger cards
 * 36 px apart and paste shifted copies 40 px, so new cards hid the ones under them.
 */
import type { XY } from "./types";

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface Rect extends XY, Size {}

/** A card before the canvas has measured it: the CSS width of `.node-card` and a typical height. */
export const DEFAULT_NODE_SIZE: Size = { width: 280, height: 220 };
/** Space kept between a placed card and its neighbours. */
export const PLACEMENT_GAP = 24;

export function overlaps(a: Rect, b: Rect, gap = 0): boolean {
  return (
    a.x < b.x + b.width + gap &&
    b.x < a.x + a.width + gap &&
    a.y < b.y + b.height + gap &&
    b.y < a.y + a.height + gap
  );
}

/** The smallest rectangle around `rects`; null for none. */
export function boundingBox(rects: readonly Rect[]): Rect | null {
  if (rects.length === 0) return null;
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  for (const rect of rects) {
    left = Math.min(left, rect.x);
    top = Math.min(top, rect.y);
    right = Math.max(right, rect.x + rect.width);
    bottom = Math.max(bottom, rect.y + rect.height);
  }
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * The first spot at or below `start` (same x) where a box of `size` keeps `gap` from every obstacle. Each
 * step jumps below the lowest card it hit, so it ends after at most one step per obstacle.
 */
export function findFreeSpot(start: XY, size: Size, obstacles: readonly Rect[], gap = PLACEMENT_GAP): XY {
  let y = start.y;
  for (let step = 0; step <= obstacles.length; step++) {
    const candidate = { x: start.x, y, width: size.width, height: size.height };
    const hits = obstacles.filter((obstacle) => overlaps(candidate, obstacle, gap));
    if (hits.length === 0) break;
    y = Math.max(...hits.map((hit) => hit.y + hit.height)) + gap;
  }
  return { x: Math.round(start.x), y: Math.round(y) };
}
