"""Training loops: VAE, text encoder + UNet (jointly, caption dropout, EMA), classifier."""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import data, nets, schedule, tokenizer


def _lr(step: int, total: int, base: float, warmup: int = 100) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _set_lr(opt, lr):
    for g in opt.param_groups:
        g["lr"] = lr


class Progress:
    def __init__(self, name: str, total: int, log):
        self.name, self.total, self.log = name, total, log
        self.t0 = time.time()
        self.every = max(1, total // 20)

    def __call__(self, step: int, **metrics):
        if step % self.every == 0 or step == self.total - 1:
            el = time.time() - self.t0
            eta = el / (step + 1) * (self.total - step - 1)
            m = " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
            self.log(f"  [{self.name}] step {step + 1}/{self.total} {m} elapsed {el:.0f}s eta {eta:.0f}s")


# ----------------------------------------------------------------------------------------------


def train_vae(images_u8: np.ndarray, steps: int, batch: int, seed: int, log, kl_weight: float = 1e-4):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    enc, dec = nets.VaeEncoder(), nets.VaeDecoder()
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=3e-3)
    prog = Progress("vae", steps, log)
    for step in range(steps):
        _set_lr(opt, _lr(step, steps, 3e-3, warmup=30))
        idx = rng.integers(0, len(images_u8), batch)
        x = torch.from_numpy(data.to_float(images_u8[idx]))
        mean, logvar = enc.moments(x)
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        rec = dec(z)
        mse = F.mse_loss(rec, x)
        l1 = (rec - x).abs().mean()
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
        loss = mse + 0.5 * l1 + kl_weight * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        prog(step, mse=mse.item(), kl=kl.item())
    enc.eval()
    dec.eval()
    return enc, dec


@torch.no_grad()
def encode_all(enc, images_u8: np.ndarray, batch: int = 64) -> torch.Tensor:
    out = []
    for i in range(0, len(images_u8), batch):
        out.append(enc(torch.from_numpy(data.to_float(images_u8[i : i + batch]))))
    return torch.cat(out)


@torch.no_grad()
def decode_all(dec, latents: torch.Tensor, batch: int = 64) -> torch.Tensor:
    return torch.cat([dec(latents[i : i + batch]) for i in range(0, len(latents), batch)])


# ----------------------------------------------------------------------------------------------


def caption_tokens(ds: dict) -> tuple[np.ndarray, np.ndarray]:
    """Token ids of every image's caption with and without the size word."""
    n = len(ds["shape"])
    with_size = np.empty((n, tokenizer.MAX_LENGTH), dtype=np.int64)
    without = np.empty_like(with_size)
    for i in range(n):
        a = [int(ds[k][i]) for k in ("shape", "colour", "background", "count")]
        with_size[i] = tokenizer.encode(data.caption(*a, int(ds["size"][i])))
        without[i] = tokenizer.encode(data.caption(*a, None))
    return with_size, without


def _ema_update(ema, model, decay):
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(p, alpha=1 - decay)


def train_diffusion(
    latents: torch.Tensor,
    tokens: tuple[np.ndarray, np.ndarray],
    steps: int,
    batch: int,
    seed: int,
    log,
    lr: float = 2e-3,
    caption_dropout: float = 0.1,
    ema_decay: float = 0.999,
):
    """latents are already multiplied by scaling_factor. Returns EMA copies (text encoder, UNet)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    te, unet = nets.TextEncoder(), nets.UNet()
    te_ema, unet_ema = copy.deepcopy(te), copy.deepcopy(unet)
    params = list(te.parameters()) + list(unet.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    ac = schedule.alphas_cumprod()
    empty = torch.tensor(tokenizer.encode(""), dtype=torch.int64)
    with_size, without = (torch.from_numpy(t) for t in tokens)
    prog = Progress("unet+text", steps, log)
    loss_avg = None
    for step in range(steps):
        _set_lr(opt, _lr(step, steps, lr))
        idx = torch.from_numpy(rng.integers(0, len(latents), batch))
        x0 = latents[idx]
        use_size = torch.from_numpy(rng.random(batch) < 0.5)[:, None]
        ids = torch.where(use_size, with_size[idx], without[idx])
        drop = torch.from_numpy(rng.random(batch) < caption_dropout)[:, None]
        ids = torch.where(drop, empty[None, :], ids)
        t = torch.from_numpy(rng.integers(0, schedule.NUM_TRAIN_TIMESTEPS, batch))
        noise = torch.randn_like(x0)
        a = ac[t][:, None, None, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        pred = unet(x_t, t, te(ids))
        loss = F.mse_loss(pred, noise)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        # Short runs cannot afford a long EMA horizon: warm the decay up as in many DDPM codebases.
        d = min(ema_decay, (1 + step) / (10 + step))
        _ema_update(te_ema, te, d)
        _ema_update(unet_ema, unet, d)
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        prog(step, loss=loss_avg)
    te_ema.eval()
    unet_ema.eval()
    return te_ema, unet_ema


# ----------------------------------------------------------------------------------------------

HEAD_SIZES = (len(data.SHAPES), len(data.COLOURS), len(data.COLOURS))


def classifier_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    loss = 0.0
    off = 0
    for h, n in enumerate(HEAD_SIZES):
        loss = loss + F.cross_entropy(logits[:, off : off + n], labels[:, h])
        off += n
    return loss


def predict(logits: torch.Tensor) -> torch.Tensor:
    """[b, 15] logits -> [b, 3] argmax per head."""
    out, off = [], 0
    for n in HEAD_SIZES:
        out.append(logits[:, off : off + n].argmax(1))
        off += n
    return torch.stack(out, 1)


def train_classifier(images: torch.Tensor, labels: torch.Tensor, steps: int, batch: int, seed: int, log):
    """images float [-1,1] (real and VAE reconstructions mixed); labels [n, 3]."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    clf = nets.Classifier(HEAD_SIZES)
    opt = torch.optim.Adam(clf.parameters(), lr=2e-3)
    prog = Progress("classifier", steps, log)
    for step in range(steps):
        _set_lr(opt, _lr(step, steps, 2e-3, warmup=50))
        idx = torch.from_numpy(rng.integers(0, len(images), batch))
        x = images[idx]
        # Mild noise and colour shifts: generated images are never as clean as the renders.
        x = x + 0.05 * torch.randn_like(x) + 0.05 * torch.randn(batch, 3, 1, 1)
        loss = classifier_loss(clf(x), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        prog(step, loss=loss.item())
    clf.eval()
    return clf
