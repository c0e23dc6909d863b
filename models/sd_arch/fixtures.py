"""PyTorch reference of one generation (CFG, DDIM with eta, the app's noise-free last step) for the loader test.

Written as `fixtures/generation.json` (token ids, timesteps, settings, the name, shape and offset of each
tensor) and `fixtures/generation.bin` (the tensors, float32 little-endian, one after another).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch


def schedule(cfg: dict) -> torch.Tensor:
    n = cfg["num_train_timesteps"]
    if cfg["beta_schedule"] != "scaled_linear":
        raise ValueError("fixtures know the scaled_linear schedule only")
    betas = torch.linspace(cfg["beta_start"] ** 0.5, cfg["beta_end"] ** 0.5, n, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0)


def timesteps(cfg: dict, steps: int) -> list[int]:
    """diffusers' "leading" spacing (the default of these configs) with steps_offset."""
    ratio = cfg["num_train_timesteps"] // steps
    return [i * ratio + cfg.get("steps_offset", 0) for i in reversed(range(steps))]


def generate(te, unet, vdec, tok, cfg: dict, prompt: str, steps: int, eta: float, guidance: float,
             latent: tuple[int, int, int], tokens: int, seed: int) -> dict:
    sched = cfg["scheduler"]
    v_pred = sched.get("prediction_type", "epsilon") == "v_prediction"
    ac = schedule(sched)
    final = 1.0 if sched.get("set_alpha_to_one", True) else float(ac[0])
    ids = [tok.encode("", tokens), tok.encode(prompt, tokens)]
    gen = torch.Generator().manual_seed(seed)
    c, h, w = latent
    x_t = torch.randn(1, c, h, w, generator=gen)
    noises = [torch.randn(1, c, h, w, generator=gen) for _ in range(steps)]
    with torch.no_grad():
        hidden, _ = te(torch.tensor(ids, dtype=torch.int32))
        x = x_t.clone()
        ts = timesteps(sched, steps)
        stride = sched["num_train_timesteps"] // steps
        first_out = None
        for i, t in enumerate(ts):
            out = unet(torch.cat([x, x]), torch.full((2,), float(t)), hidden)
            if first_out is None:
                first_out = out.clone()
            guided = out[:1] + guidance * (out[1:] - out[:1])
            a = float(ac[t])
            a_prev = float(ac[t - stride]) if t - stride >= 0 else final
            if v_pred:  # x0 = sqrt(ᾱ)·x − sqrt(1−ᾱ)·v, ε = sqrt(1−ᾱ)·x + sqrt(ᾱ)·v
                x0 = math.sqrt(a) * x - math.sqrt(1 - a) * guided
                eps = math.sqrt(1 - a) * x + math.sqrt(a) * guided
            else:
                eps = guided
                x0 = (x - math.sqrt(1 - a) * eps) / math.sqrt(a)
            step_eta = 0.0 if i == steps - 1 else eta  # the app's default: noise-free last step
            sigma = step_eta * math.sqrt((1 - a_prev) / (1 - a) * (1 - a / a_prev))
            x = math.sqrt(a_prev) * x0 + math.sqrt(max(1 - a_prev - sigma ** 2, 0.0)) * eps + sigma * noises[i]
        image = vdec(x / cfg["vae"]["scaling_factor"])
        settings_out = {"image_shape": list(image.shape), "image_mean": float(image.mean())}
    return {
        "ids": ids, "timesteps": ts, "image": settings_out,
        "tensors": {
            "hidden_states": hidden, "x_T": x_t, "unet_first_out": first_out,
            **({"step_noises": torch.cat(noises)} if eta > 0 else {}),  # eta 0 never reads them
            # a corner of the picture: the whole 512×512 one would make the committed fixture megabytes
            "x_0": x, "image_corner": image[:, :, :32, :32].contiguous(),
        },
    }


def write(folder: Path, result: dict, settings: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"settings": settings, "ids": result["ids"], "timesteps": result["timesteps"], "image": result["image"],
                "tensors": {}}
    offset = 0
    with open(folder / "generation.bin", "wb") as f:
        for name, tensor in result["tensors"].items():
            array = tensor.detach().cpu().numpy().astype("<f4")
            f.write(array.tobytes())
            manifest["tensors"][name] = {"shape": list(array.shape), "offset": offset}
            offset += array.size
    (folder / "generation.json").write_text(json.dumps(manifest, indent=1) + "\n")
