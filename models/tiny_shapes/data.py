"""Procedural captioned dataset: coloured shapes on coloured backgrounds, 64x64 RGB.

Every image has one shape kind and one shape colour (one large or small shape, or two small ones)
on a flat background of another colour. Captions are built from the attributes, e.g.
"a red circle on a blue background", "two small green squares on a yellow background".
"""

from __future__ import annotations

import numpy as np

IMAGE_SIZE = 64
SHAPES = ["circle", "square", "triangle"]
SHAPE_PLURALS = ["circles", "squares", "triangles"]
# Corners of the RGB cube (plus black/white) so that every colour stays distinguishable after a
# lossy 8x VAE; values stay off 0/255 so the jitter does not clip asymmetrically.
COLOURS = ["red", "green", "blue", "yellow", "white", "black"]
COLOUR_RGB = np.array(
    [
        [215, 40, 40],
        [40, 175, 60],
        [45, 75, 215],
        [235, 210, 45],
        [235, 235, 235],
        [25, 25, 25],
    ],
    dtype=np.float32,
)
SIZES = ["small", "large"]
SMALL_RANGE = (20, 27)  # bounding-box side in pixels
LARGE_RANGE = (34, 44)
CENTRE_JITTER = 9.0  # pixels; large shapes still fit: 44/2 + 9 < 32
COLOUR_JITTER = 12.0
SUPERSAMPLE = 2  # render at 2x and average: anti-aliased edges like real downsampled images


def caption(shape: int, colour: int, background: int, count: int, size: int | None) -> str:
    """size None omits the size word (captions are trained with and without it)."""
    size_word = "" if size is None else SIZES[size] + " "
    if count == 1:
        return f"a {size_word}{COLOURS[colour]} {SHAPES[shape]} on a {COLOURS[background]} background"
    return f"two {size_word}{COLOURS[colour]} {SHAPE_PLURALS[shape]} on a {COLOURS[background]} background"


def vocabulary() -> list[str]:
    words = ["a", "two", "on", "background"] + SIZES + COLOURS + SHAPES + SHAPE_PLURALS
    return words


def _shape_mask(kind: int, cx: float, cy: float, side: float, grid: np.ndarray) -> np.ndarray:
    """grid: (2, H, W) pixel-centre coordinates in 64-px units; returns a bool mask."""
    xs, ys = grid[0], grid[1]
    half = side / 2.0
    if kind == 0:
        return (xs - cx) ** 2 + (ys - cy) ** 2 <= half * half
    if kind == 1:
        return (np.abs(xs - cx) <= half) & (np.abs(ys - cy) <= half)
    # Upright isosceles triangle inside the bounding box: apex at the top centre.
    top, bottom = cy - half, cy + half
    frac = (ys - top) / side
    return (ys >= top) & (ys <= bottom) & (np.abs(xs - cx) <= frac * half)


def _grid() -> np.ndarray:
    n = IMAGE_SIZE * SUPERSAMPLE
    coords = (np.arange(n, dtype=np.float32) + 0.5) / SUPERSAMPLE
    ys, xs = np.meshgrid(coords, coords, indexing="ij")
    return np.stack([xs, ys])


def sample_attributes(rng: np.random.Generator) -> dict:
    shape = int(rng.integers(3))
    colour = int(rng.integers(len(COLOURS)))
    background = int(rng.integers(len(COLOURS) - 1))
    if background >= colour:
        background += 1
    count = 1 if rng.random() < 0.75 else 2
    size = int(rng.integers(2)) if count == 1 else 0
    return {"shape": shape, "colour": colour, "background": background, "count": count, "size": size}


def render(attrs: dict, rng: np.random.Generator, grid: np.ndarray) -> np.ndarray:
    """Returns uint8 (3, 64, 64)."""
    lo, hi = SMALL_RANGE if attrs["size"] == 0 else LARGE_RANGE
    boxes: list[tuple[float, float, float]] = []
    margin = 2.0
    while len(boxes) < attrs["count"]:
        side = float(rng.uniform(lo, hi))
        if attrs["count"] == 1:
            # A single shape stays near the centre: less layout to learn for a model trained
            # in minutes, the attributes in the caption are what matters.
            cx, cy = (float(IMAGE_SIZE / 2 + rng.uniform(-CENTRE_JITTER, CENTRE_JITTER)) for _ in range(2))
        else:
            cx = float(rng.uniform(side / 2 + margin, IMAGE_SIZE - side / 2 - margin))
            cy = float(rng.uniform(side / 2 + margin, IMAGE_SIZE - side / 2 - margin))
        # Two shapes never overlap: their bounding boxes stay apart.
        if all(abs(cx - bx) > (side + bs) / 2 + 2 or abs(cy - by) > (side + bs) / 2 + 2 for bx, by, bs in boxes):
            boxes.append((cx, cy, side))
        elif rng.random() < 0.2:
            boxes = []  # the first shape may leave no room (e.g. dead centre): start over
    mask = np.zeros(grid.shape[1:], dtype=bool)
    for cx, cy, side in boxes:
        mask |= _shape_mask(attrs["shape"], cx, cy, side, grid)
    fg = COLOUR_RGB[attrs["colour"]] + rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, 3).astype(np.float32)
    bg = COLOUR_RGB[attrs["background"]] + rng.uniform(-COLOUR_JITTER, COLOUR_JITTER, 3).astype(np.float32)
    s = SUPERSAMPLE
    # Pixel coverage by the shape (anti-aliasing), then a linear blend of the two colours.
    cover = mask.reshape(IMAGE_SIZE, s, IMAGE_SIZE, s).mean(axis=(1, 3), dtype=np.float32)
    img = bg[:, None, None] + cover[None] * (fg - bg)[:, None, None]
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def generate(n: int, seed: int) -> dict:
    """n images (uint8 [n,3,64,64]) and their attribute arrays."""
    rng = np.random.default_rng(seed)
    grid = _grid()
    images = np.empty((n, 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    keys = ["shape", "colour", "background", "count", "size"]
    attrs = {k: np.empty(n, dtype=np.int64) for k in keys}
    for i in range(n):
        a = sample_attributes(rng)
        images[i] = render(a, rng, grid)
        for k in keys:
            attrs[k][i] = a[k]
    return {"images": images, **attrs}


def to_float(images_u8: np.ndarray) -> np.ndarray:
    """uint8 [0,255] -> float32 [-1,1] (Stable Diffusion's image range)."""
    return images_u8.astype(np.float32) / 127.5 - 1.0
