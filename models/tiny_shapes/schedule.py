"""DDIM exactly as METHOD.md section 2, with diffusers' DDIMScheduler conventions for the config in
scheduler/scheduler_config.json (scaled_linear betas, "leading" spacing, steps_offset 1,
set_alpha_to_one false)."""

from __future__ import annotations

import math

import torch

NUM_TRAIN_TIMESTEPS = 1000
BETA_START = 0.00085
BETA_END = 0.012
STEPS_OFFSET = 1

SCHEDULER_CONFIG = {
    "_class_name": "DDIMScheduler",
    "_diffusers_version": "0.30.0",
    "num_train_timesteps": NUM_TRAIN_TIMESTEPS,
    "beta_start": BETA_START,
    "beta_end": BETA_END,
    "beta_schedule": "scaled_linear",
    "trained_betas": None,
    "clip_sample": False,
    "set_alpha_to_one": False,
    "steps_offset": STEPS_OFFSET,
    "prediction_type": "epsilon",
    "timestep_spacing": "leading",
    "thresholding": False,
    "rescale_betas_zero_snr": False,
}


def alphas_cumprod() -> torch.Tensor:
    """float32 [1000], computed as diffusers does (float32 linspace of sqrt(beta), squared)."""
    betas = torch.linspace(BETA_START**0.5, BETA_END**0.5, NUM_TRAIN_TIMESTEPS, dtype=torch.float32) ** 2
    return torch.cumprod(1.0 - betas, dim=0)


def ddim_timesteps(steps: int) -> list[int]:
    """diffusers' "leading" spacing: (arange(steps) * (1000 // steps)) reversed, + steps_offset."""
    ratio = NUM_TRAIN_TIMESTEPS // steps
    return [i * ratio + STEPS_OFFSET for i in reversed(range(steps))]


def ddim_step(
    x_t: torch.Tensor,
    eps: torch.Tensor,
    t: int,
    steps: int,
    eta: float,
    noise: torch.Tensor | None,
    ac: torch.Tensor,
    noise_free: bool = False,
) -> torch.Tensor:
    """noise_free: sigma = 0 for this step (noise term and eps coefficient), as the DNO authors' last step."""
    if noise_free:
        eta = 0.0
    prev = t - NUM_TRAIN_TIMESTEPS // steps
    a_t = float(ac[t])
    # set_alpha_to_one = false: the final step goes to alpha_cumprod[0], not 1.
    a_prev = float(ac[prev]) if prev >= 0 else float(ac[0])
    sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t)) * math.sqrt(1 - a_t / a_prev)
    ratio = math.sqrt(a_prev / a_t)
    coef_eps = math.sqrt(max(1 - a_prev - sigma * sigma, 0.0)) - ratio * math.sqrt(1 - a_t)
    x_prev = ratio * x_t + coef_eps * eps
    if sigma > 0:
        assert noise is not None, "eta > 0 needs the per-step noise z_t"
        x_prev = x_prev + sigma * noise
    return x_prev


@torch.no_grad()
def sample(
    unet,
    cond: torch.Tensor,
    uncond: torch.Tensor,
    x_T: torch.Tensor,
    steps: int,
    eta: float,
    guidance: float,
    step_noises: list[torch.Tensor] | None = None,
    generator: torch.Generator | None = None,
    trace: list | None = None,
    final_step_noise: bool = True,
) -> torch.Tensor:
    """CFG batch order [uncond, cond]; init_noise_sigma = 1. Per-step noise is taken from
    step_noises when given, otherwise drawn from generator. final_step_noise=False makes the last step
    noise-free (the DNO authors' convention, the app's default); True is diffusers' (what the build used)."""
    ac = alphas_cumprod()
    x = x_T
    b = x.shape[0]
    ctx = torch.cat([uncond, cond], 0)
    for i, t in enumerate(ddim_timesteps(steps)):
        ts = torch.full((2 * b,), t, dtype=torch.int64)
        eps_u, eps_c = unet(torch.cat([x, x], 0), ts, ctx).chunk(2, 0)
        eps = eps_u + guidance * (eps_c - eps_u)
        if step_noises is not None:
            z = step_noises[i]
        elif eta > 0:
            z = torch.randn(x.shape, generator=generator)
        else:
            z = None
        last = i == steps - 1
        x = ddim_step(x, eps, t, steps, eta, z, ac, noise_free=last and not final_step_noise)
        if trace is not None:
            trace.append(x.clone())
    return x
