#!/usr/bin/python3
"""Reference values for CLIP's image preprocessing (server/executor/clip-preprocess.ts).

    /usr/bin/python3 models/sd_arch/clip_preprocess.py   # → models/sd_arch/tiny/clip-preprocess.json

Each case is a deterministic [3, H, W] picture in [−1, 1] (the formula is repeated in the TypeScript test),
preprocessed as CLIP does: shorter side to 224 with PIL's antialiased bicubic, center crop 224 (torchvision's
rounding), (x + 1)/2, CLIP mean/std. The resize is computed twice, with torch's
interpolate(mode="bicubic", antialias=True) and with PIL's float ("F" mode) BICUBIC resize, which must
agree; the fixture keeps the torch values at sampled positions plus sums over the whole output.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
SIZE = 224
CASES = [(64, 64), (96, 80), (300, 261), (512, 512)]
OUT = Path(__file__).resolve().parent / "tiny" / "clip-preprocess.json"


def picture(h: int, w: int) -> np.ndarray:
    c, y, x = np.meshgrid(np.arange(3), np.arange(h), np.arange(w), indexing="ij")
    v = 0.6 * np.sin(0.37 * y + 1.1 * c) * np.cos(0.23 * x) + 0.3 * np.sin(1.7 * x + 0.9 * y + c)
    return v.astype(np.float32)


def geometry(h: int, w: int):
    short, long = min(h, w), max(h, w)
    rl = int(SIZE * long / short)
    rh, rw = (SIZE, rl) if h <= w else (rl, SIZE)
    return rh, rw, int(round((rh - SIZE) / 2.0)), int(round((rw - SIZE) / 2.0))


def main() -> None:
    cases = []
    for h, w in CASES:
        x = picture(h, w)
        rh, rw, top, left = geometry(h, w)
        u = (torch.from_numpy(x)[None] + 1) / 2
        t = F.interpolate(u.double(), size=(rh, rw), mode="bicubic", align_corners=False, antialias=True)[0]
        p = np.stack([np.asarray(Image.fromarray(((x[c] + 1) / 2).astype(np.float32), mode="F")
                                 .resize((rw, rh), Image.BICUBIC)) for c in range(3)])
        agree = float(np.abs(t.numpy() - p).max())
        assert agree < 1e-5, f"torch and PIL disagree by {agree} at {h}x{w}"
        t = t[:, top:top + SIZE, left:left + SIZE]
        n = ((t - torch.tensor(MEAN, dtype=torch.float64)[:, None, None])
             / torch.tensor(STD, dtype=torch.float64)[:, None, None]).numpy()
        flat = n.reshape(-1)
        idx = np.linspace(0, flat.size - 1, 97).round().astype(int)
        cases.append({"height": h, "width": w, "resized": [rh, rw], "crop": [top, left],
                      "torch_vs_pil_max_abs": agree, "sum": float(flat.sum()), "sum_sq": float((flat ** 2).sum()),
                      "indices": idx.tolist(), "values": [float(v) for v in flat[idx]]})
        print(f"{h}x{w} → {rh}x{rw} crop {top},{left}; torch vs PIL {agree:.2e}")
    meta = {"torch": torch.__version__, "pil": Image.__version__ if hasattr(Image, "__version__") else "",
            "formula": "0.6 sin(0.37y + 1.1c) cos(0.23x) + 0.3 sin(1.7x + 0.9y + c), float32"}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"meta": meta, "mean": MEAN, "std": STD, "size": SIZE, "cases": cases}) + "\n")


if __name__ == "__main__":
    main()
