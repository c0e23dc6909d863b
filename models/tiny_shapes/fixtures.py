"""Reference fixtures from the trained PyTorch model (float32, fixed seeds) for the TypeScript tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from . import data, nets, schedule, tokenizer

DDIM_PROMPT = "a red circle on a blue background"


def tensor(t: torch.Tensor) -> dict:
    a = t.detach().to(torch.float32).numpy() if t.dtype.is_floating_point else t.detach().numpy()
    flat = a.reshape(-1)
    if a.dtype == np.float32:
        # str(np.float32) is the shortest decimal that round-trips to the same float32.
        values = [float(str(v)) for v in flat]
    else:
        values = [int(v) for v in flat]
    return {"dims": list(a.shape), "data": values}


def _write(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, separators=(",", ":")) + "\n")


def _vjp(fn, inputs: dict, wrt: list[str], gen: torch.Generator):
    """out = fn(**inputs); grads of sum(out * cotangent) with respect to the wrt inputs."""
    leaves = {k: (v.clone().requires_grad_(True) if k in wrt else v) for k, v in inputs.items()}
    out = fn(**leaves)
    cot = torch.randn(out.shape, generator=gen)
    grads = torch.autograd.grad((out * cot).sum(), [leaves[k] for k in wrt])
    return out, cot, dict(zip(wrt, grads))


def write_all(out_dir: Path, te, unet, dec, clf, scaling_factor: float, seed: int = 1234) -> None:
    gen = torch.Generator().manual_seed(seed)
    for m in (te, unet, dec, clf):
        m.eval()

    # Text encoder.
    ids = torch.tensor([tokenizer.encode(DDIM_PROMPT)], dtype=torch.int64)
    with torch.no_grad():
        hidden = te(ids)
    _write(
        out_dir / "text_encoder_forward.json",
        {"prompt": DDIM_PROMPT, "input_ids": tensor(ids), "last_hidden_state": tensor(hidden)},
    )

    # UNet forward and VJP (batch 2: the CFG shape), realistic inputs: text states from two prompts.
    ids2 = torch.tensor([tokenizer.encode(""), tokenizer.encode("two small green squares on a yellow background")])
    with torch.no_grad():
        ctx = te(ids2)
    unet_inputs = {
        "sample": torch.randn(2, nets.LATENT_CHANNELS, 8, 8, generator=gen),
        "timestep": torch.tensor([981, 421], dtype=torch.int64),
        "encoder_hidden_states": ctx,
    }
    with torch.no_grad():
        out = unet(**unet_inputs)
    _write(
        out_dir / "unet_forward.json",
        {"inputs": {k: tensor(v) for k, v in unet_inputs.items()}, "outputs": {"out_sample": tensor(out)}},
    )
    out, cot, grads = _vjp(unet, unet_inputs, ["sample", "encoder_hidden_states"], gen)
    _write(
        out_dir / "unet_vjp.json",
        {
            "inputs": {k: tensor(v) for k, v in unet_inputs.items()},
            "outputs": {"out_sample": tensor(out)},
            "cotangent": tensor(cot),
            "grads": {k: tensor(v) for k, v in grads.items()},
        },
    )

    # VAE decoder VJP (batch 1).
    lat = {"latent_sample": torch.randn(1, nets.LATENT_CHANNELS, 8, 8, generator=gen)}
    out, cot, grads = _vjp(dec, lat, ["latent_sample"], gen)
    _write(
        out_dir / "vae_decoder_vjp.json",
        {
            "inputs": {k: tensor(v) for k, v in lat.items()},
            "outputs": {"sample": tensor(out)},
            "cotangent": tensor(cot),
            "grads": {k: tensor(v) for k, v in grads.items()},
        },
    )

    # Classifier VJP (batch 1) on a real rendered scene.
    scene = data.generate(1, seed)
    img = {"image": torch.from_numpy(data.to_float(scene["images"]))}
    out, cot, grads = _vjp(clf, img, ["image"], gen)
    _write(
        out_dir / "classifier_vjp.json",
        {
            "inputs": {k: tensor(v) for k, v in img.items()},
            "outputs": {"logits": tensor(out)},
            "cotangent": tensor(cot),
            "grads": {k: tensor(v) for k, v in grads.items()},
        },
    )

    # A full DDIM sample with explicit noise: 10 steps, eta 1, CFG 5.
    steps, eta, guidance = 10, 1.0, 5.0
    x_T = torch.randn(1, nets.LATENT_CHANNELS, 8, 8, generator=gen)
    noises = [torch.randn(1, nets.LATENT_CHANNELS, 8, 8, generator=gen) for _ in range(steps)]
    with torch.no_grad():
        cond = te(torch.tensor([tokenizer.encode(DDIM_PROMPT)]))
        uncond = te(torch.tensor([tokenizer.encode("")]))
        trace: list[torch.Tensor] = []
        final = schedule.sample(unet, cond, uncond, x_T, steps, eta, guidance, step_noises=noises, trace=trace)
        image = dec(final / scaling_factor)
    _write(
        out_dir / "ddim_reference.json",
        {
            "prompt": DDIM_PROMPT,
            "negative_prompt": "",
            "steps": steps,
            "eta": eta,
            "guidance": guidance,
            "scaling_factor": scaling_factor,
            "timesteps": schedule.ddim_timesteps(steps),
            "alphas_cumprod": [float(str(v)) for v in schedule.alphas_cumprod().numpy()],
            "x_T": tensor(x_T),
            "step_noises": [tensor(z) for z in noises],
            "intermediate_latents": [tensor(x) for x in trace],
            "final_latent": tensor(final),
            "image": tensor(image),
        },
    )


def write_final_step(out_dir: Path, te, unet, dec, scaling_factor: float, seed: int = 4321) -> None:
    """ddim_final_step.json: one short DDIM sample (4 steps, eta 1, CFG 5, explicit noise) run with both
    last-step conventions from the same noise: "noise_free" (sigma = 0 on the last step, the app's default)
    and "final_step_noise" (diffusers: sigma_t * z on the last step too)."""
    gen = torch.Generator().manual_seed(seed)
    for m in (te, unet, dec):
        m.eval()
    steps, eta, guidance = 4, 1.0, 5.0
    x_T = torch.randn(1, nets.LATENT_CHANNELS, 8, 8, generator=gen)
    noises = [torch.randn(1, nets.LATENT_CHANNELS, 8, 8, generator=gen) for _ in range(steps)]
    runs = {}
    with torch.no_grad():
        cond = te(torch.tensor([tokenizer.encode(DDIM_PROMPT)]))
        uncond = te(torch.tensor([tokenizer.encode("")]))
        for name, final_step_noise in (("noise_free", False), ("final_step_noise", True)):
            trace: list[torch.Tensor] = []
            final = schedule.sample(
                unet, cond, uncond, x_T, steps, eta, guidance, step_noises=noises, trace=trace,
                final_step_noise=final_step_noise,
            )
            image = dec(final / scaling_factor)
            runs[name] = {
                "intermediate_latents": [tensor(x) for x in trace],
                "final_latent": tensor(final),
                # The decoded image's mean per channel: a check of the decode without 12k numbers per run.
                "image_channel_means": [float(v) for v in image.mean((0, 2, 3)).tolist()],
            }
    _write(
        out_dir / "ddim_final_step.json",
        {
            "prompt": DDIM_PROMPT,
            "negative_prompt": "",
            "steps": steps,
            "eta": eta,
            "guidance": guidance,
            "timesteps": schedule.ddim_timesteps(steps),
            "x_T": tensor(x_T),
            "step_noises": [tensor(z) for z in noises],
            **runs,
        },
    )
