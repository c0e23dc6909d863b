#!/usr/bin/python3
"""An aesthetic-predictor-shaped scorer with random weights: the CLIP ViT-L/14 image tower + the LAION
aesthetic predictor's MLP head, exported to ONNX for the Reward node's “Custom ONNX scoring model” with
“Scorer input: CLIP”.

    /usr/bin/python3 models/sd_arch/build.py --aesthetic                 # scaled-down → models/sd_arch/tiny/aesthetic
    flock /tmp/bigmem.lock /usr/bin/python3 models/sd_arch/build.py --aesthetic --scale full
                                                                         # full size → .cache/sd-arch/aesthetic (~1.2 GB)

Architecture (the public OpenAI CLIP ViT-L/14 / transformers CLIPVisionModelWithProjection config: image 224,
patch 14, width 1024, 24 layers, 16 heads, MLP 4096, quick_gelu, LayerNorm eps 1e-5, projection 768 without
bias): a bias-free patch convolution, a class token and 257 position embeddings, pre-LayerNorm, pre-LN
transformer layers, post-LayerNorm of the class token, projection. The LAION improved-aesthetic-predictor
(christophschuhmann/improved-aesthetic-predictor, simple_inference.py) L2-normalizes that embedding and runs
Linear 768→1024, Dropout 0.2, Linear 1024→128, Dropout 0.2, Linear 128→64, Dropout 0.1, Linear 64→16,
Linear 16→1 (no activations). Exported in eval mode, so the dropouts are identities and do not appear in the
graph. Input `pixel_values` float32 [batch, 3, 224, 224] (CLIP-normalized), output `score` [batch, 1];
opset 14, random weights from a fixed seed.

The scaled-down variant keeps every op and the 224-px input (width 64, 2 layers, 4 heads, projection 32, head
32→64→16→8→4→1) and gets fixtures/score.json: the PyTorch score of a fixed picture after CLIP's preprocessing
(torch's antialiased bicubic resize, as server/executor/clip-preprocess.ts), and of fixed pixel values.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sd_arch import export, nets  # noqa: E402

FULL = {"image_size": 224, "patch_size": 14, "hidden_size": 1024, "num_hidden_layers": 24,
        "num_attention_heads": 16, "intermediate_size": 4096, "hidden_act": "quick_gelu",
        "projection_dim": 768, "head": [1024, 128, 64, 16]}
TINY = dict(FULL, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
            projection_dim=32, head=[64, 16, 8, 4])
HEAD_DROPOUT = [0.2, 0.2, 0.1, 0.0]
SEED = 768
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
# The fixture picture: [3, 64, 64] in [−1, 1] (a decoder's output convention), the formula repeated in the test.
FIXTURE_PICTURE = (64, 64)


class VisionAttention(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = (width // heads) ** -0.5
        self.q_proj, self.k_proj = nn.Linear(width, width), nn.Linear(width, width)
        self.v_proj, self.out_proj = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x):
        b, n, c = x.shape
        split = lambda t: t.reshape(b, n, self.heads, c // self.heads).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(self.q_proj(x) * self.scale), split(self.k_proj(x)), split(self.v_proj(x))
        probs = torch.matmul(q, k.transpose(-1, -2)).softmax(dim=-1)
        return self.out_proj(torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, n, c))


class VisionLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        w = cfg["hidden_size"]
        self.layer_norm1 = nn.LayerNorm(w, eps=1e-5)
        self.self_attn = VisionAttention(w, cfg["num_attention_heads"])
        self.layer_norm2 = nn.LayerNorm(w, eps=1e-5)
        self.mlp = nets.ClipMlp(w, cfg["intermediate_size"], cfg["hidden_act"])

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class AestheticScorer(nn.Module):
    """pixel_values [B, 3, 224, 224] → score [B, 1]."""

    def __init__(self, cfg: dict):
        super().__init__()
        w, p = cfg["hidden_size"], cfg["patch_size"]
        tokens = (cfg["image_size"] // p) ** 2 + 1
        self.patch_embedding = nn.Conv2d(3, w, kernel_size=p, stride=p, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(w) * w ** -0.5)
        self.position_embedding = nn.Parameter(torch.randn(tokens, w) * w ** -0.5)
        self.pre_layrnorm = nn.LayerNorm(w, eps=1e-5)
        self.layers = nn.ModuleList([VisionLayer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.post_layernorm = nn.LayerNorm(w, eps=1e-5)
        self.visual_projection = nn.Linear(w, cfg["projection_dim"], bias=False)
        sizes = [cfg["projection_dim"], *cfg["head"], 1]
        head: list[nn.Module] = []
        for i in range(len(sizes) - 1):
            head.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(HEAD_DROPOUT) and HEAD_DROPOUT[i] > 0:
                head.append(nn.Dropout(HEAD_DROPOUT[i]))
        self.head = nn.Sequential(*head)

    def embed(self, pixel_values):
        x = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.pre_layrnorm(torch.cat([cls, x], dim=1) + self.position_embedding)
        for layer in self.layers:
            x = layer(x)
        return self.visual_projection(self.post_layernorm(x[:, 0]))

    def forward(self, pixel_values):
        e = self.embed(pixel_values)
        e = e / torch.sqrt((e * e).sum(dim=-1, keepdim=True))  # the predictor's L2 normalization
        return self.head(e)


def picture(h: int, w: int) -> np.ndarray:
    c, y, x = np.meshgrid(np.arange(3), np.arange(h), np.arange(w), indexing="ij")
    v = 0.7 * np.sin(0.21 * y + 0.8 * c) * np.cos(0.17 * x - 0.5 * c) + 0.2 * np.cos(0.9 * x * y / 64 + c)
    return v.astype(np.float32)


def clip_preprocess(x: torch.Tensor, size: int = 224) -> torch.Tensor:
    """CLIP's preprocessing of [B, 3, H, W] pictures in [−1, 1]: shorter side to 224 (antialiased bicubic),
    center crop, (x + 1)/2, CLIP mean/std. The same as the app's clip-preprocess.ts."""
    h, w = x.shape[-2:]
    long = int(size * max(h, w) / min(h, w))
    rh, rw = (size, long) if h <= w else (long, size)
    u = F.interpolate((x.double() + 1) / 2, size=(rh, rw), mode="bicubic", align_corners=False, antialias=True)
    top, left = int(round((rh - size) / 2.0)), int(round((rw - size) / 2.0))
    u = u[:, :, top:top + size, left:left + size]
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float64)[:, None, None]
    std = torch.tensor(CLIP_STD, dtype=torch.float64)[:, None, None]
    return ((u - mean) / std).float()


def pixel_values() -> torch.Tensor:
    """Fixed CLIP-normalized input [1, 3, 224, 224] for the model-only fixture."""
    c, y, x = torch.meshgrid(torch.arange(3.0), torch.arange(224.0), torch.arange(224.0), indexing="ij")
    return (1.5 * torch.sin(0.05 * x + 0.3 * c) * torch.cos(0.07 * y)).float()[None]


def build(scale: str, out: Path, log) -> dict:
    cfg = TINY if scale == "tiny" else FULL
    torch.manual_seed(SEED)
    model = AestheticScorer(cfg).eval()
    params = sum(p.numel() for p in model.parameters())
    folder = out / "aesthetic"
    t0 = time.time()
    export._export(model, (torch.zeros(1, 3, 224, 224),), folder / "model.onnx", ["pixel_values"], ["score"],
                   {"pixel_values": {0: "batch"}, "score": {0: "batch"}})
    (folder / "config.json").write_text(json.dumps(dict(cfg, head_dropout=HEAD_DROPOUT, seed=SEED,
                                                        parameters=params), indent=2) + "\n")
    log(f"aesthetic ({scale}): {params} parameters, exported in {time.time() - t0:.1f}s")
    if scale == "tiny":
        with torch.no_grad():
            h, w = FIXTURE_PICTURE
            pic = torch.from_numpy(picture(h, w))[None]
            from_picture = model(clip_preprocess(pic)).item()
            from_pixels = model(pixel_values()).item()
        (folder / "fixtures").mkdir(exist_ok=True)
        (folder / "fixtures" / "score.json").write_text(json.dumps({
            "picture": {"height": h, "width": w, "formula":
                        "0.7 sin(0.21y + 0.8c) cos(0.17x − 0.5c) + 0.2 cos(0.9xy/64 + c), float32, in [−1, 1]",
                        "score": from_picture},
            "pixel_values": {"formula": "1.5 sin(0.05x + 0.3c) cos(0.07y), [1, 3, 224, 224]", "score": from_pixels},
            "torch": torch.__version__,
        }, indent=2) + "\n")
        log(f"aesthetic fixtures: picture score {from_picture:.6f}, pixel_values score {from_pixels:.6f}")
    return {"parameters": params}


def main(scale: str, out: Path | None, log) -> dict:
    here = Path(__file__).resolve().parent
    target = out or (here / "tiny" if scale == "tiny" else here.parent.parent / ".cache" / "sd-arch")
    return build(scale, target, log)


if __name__ == "__main__":
    torch.set_num_threads(2)
    start = time.time()
    main(sys.argv[1] if len(sys.argv) > 1 else "tiny", None,
         lambda msg: print(f"[{time.time() - start:6.1f}s] {msg}", flush=True))
