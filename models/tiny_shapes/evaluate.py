"""Prompt fidelity: sample every single-shape prompt with fixed seeds (DDIM 50 steps, CFG 5) and ask
the bundled classifier whether shape, shape colour and background colour match the prompt."""

from __future__ import annotations

import itertools

import torch

from . import data, nets, schedule, tokenizer
from .train import predict


def fidelity_prompts() -> list[tuple[str, tuple[int, int, int]]]:
    """All 90 single-shape prompts without size word: 3 shapes x 6 colours x 5 other backgrounds."""
    out = []
    for s, c, b in itertools.product(range(len(data.SHAPES)), range(len(data.COLOURS)), range(len(data.COLOURS))):
        if b != c:
            out.append((data.caption(s, c, b, 1, None), (s, c, b)))
    return out


@torch.no_grad()
def generate_images(te, unet, dec, scaling_factor, prompts: list[str], seeds: list[int], steps, eta, guidance):
    """One image per (prompt, seed), x_T and per-step noise from torch.Generator(seed)."""
    conds, x_T, gens = [], [], []
    for p in prompts:
        for sd in seeds:
            g = torch.Generator().manual_seed(sd)
            x_T.append(torch.randn(1, nets.LATENT_CHANNELS, 8, 8, generator=g))
            gens.append(g)
            conds.append(tokenizer.encode(p))
    ids = torch.tensor(conds)
    cond = te(ids)
    uncond = te(torch.tensor([tokenizer.encode("")])).expand_as(cond)
    x = torch.cat(x_T)
    n = len(conds)
    # Per-step noise drawn per image from its own generator so each image depends only on its seed.
    ts = schedule.ddim_timesteps(steps)
    noises = [torch.cat([torch.randn(1, nets.LATENT_CHANNELS, 8, 8, generator=g) for g in gens]) for _ in ts]
    lat = schedule.sample(unet, cond, uncond, x, steps, eta, guidance, step_noises=noises if eta > 0 else None)
    assert lat.shape[0] == n
    imgs = torch.cat([dec(lat[i : i + 64] / scaling_factor) for i in range(0, n, 64)])
    return imgs.clamp(-1, 1)


@torch.no_grad()
def fidelity(te, unet, dec, clf, scaling_factor, seeds=(0, 1), steps=50, eta=0.0, guidance=5.0, limit=None):
    items = fidelity_prompts()
    if limit is not None:
        items = items[::max(1, len(items) // limit)]
    prompts = [p for p, _ in items]
    target = torch.tensor([lab for _, lab in items for _ in seeds])
    imgs = generate_images(te, unet, dec, scaling_factor, prompts, list(seeds), steps, eta, guidance)
    pred = predict(clf(imgs))
    ok = pred == target
    return {
        "images": len(target),
        "all_three": ok.all(1).float().mean().item(),
        "shape": ok[:, 0].float().mean().item(),
        "shape_colour": ok[:, 1].float().mean().item(),
        "background_colour": ok[:, 2].float().mean().item(),
    }, imgs


def save_grid(imgs: torch.Tensor, path, cols: int = 12) -> None:
    from PIL import Image

    n = imgs.shape[0]
    rows = (n + cols - 1) // cols
    s = data.IMAGE_SIZE
    grid = torch.full((3, rows * s, cols * s), -1.0)
    for i in range(n):
        r, c = divmod(i, cols)
        grid[:, r * s : (r + 1) * s, c * s : (c + 1) * s] = imgs[i]
    arr = ((grid.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(arr).save(path)
