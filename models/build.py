#!/usr/bin/python3
"""Builds models/tiny-shapes-sd from nothing: data, training, ONNX export, fixtures, model card.

    /usr/bin/python3 models/build.py            # full build (what is committed)
    /usr/bin/python3 models/build.py --quick    # same pipeline, few steps (smoke test, ~3 min)

Needs Debian's python3-torch (1.13), python3-onnx, python3-numpy, python3-pil. CPU only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# libgomp's default busy-wait makes two OpenMP threads crawl when other processes share the two
# cores; passive waiting keeps the step time stable. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from tiny_shapes import data, evaluate, export, fixtures, nets, train  # noqa: E402

MODEL_NAME = "tiny-shapes-sd"

FULL = {"n_train": 12000, "vae_steps": 700, "vae_batch": 32, "clf_steps": 600, "clf_batch": 64,
        "unet_steps": 3500, "unet_batch": 32, "eval_seeds": [0, 1]}
QUICK = {"n_train": 2000, "vae_steps": 150, "vae_batch": 32, "clf_steps": 100, "clf_batch": 64,
         "unet_steps": 200, "unet_batch": 32, "eval_seeds": [0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few training steps (pipeline smoke test)")
    ap.add_argument("--out", type=Path, default=HERE / MODEL_NAME, help="model folder to write")
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads for the convolutional phases (default 2)")
    # The UNet step is hundreds of small ops: on 2 cores shared with other work, one thread is
    # faster than two that keep waiting for each other at every op.
    ap.add_argument("--unet-threads", type=int, default=1, help="torch CPU threads for the UNet training (default 1)")
    for k in ("vae_steps", "clf_steps", "unet_steps", "unet_batch", "n_train"):
        ap.add_argument("--" + k.replace("_", "-"), type=int, default=None)
    ap.add_argument("--eval-limit", type=int, default=None, help="evaluate only about this many prompts")
    ap.add_argument("--card-only", action="store_true", help="rewrite MODEL_CARD.md from build_stats.json")
    args = ap.parse_args()
    if args.card_only:
        write_model_card(args.out, json.loads((args.out / "build_stats.json").read_text()))
        return
    cfg = dict(QUICK if args.quick else FULL)
    for k in ("vae_steps", "clf_steps", "unet_steps", "unet_batch", "n_train"):
        if getattr(args, k) is not None:
            cfg[k] = getattr(args, k)
    torch.set_num_threads(args.threads)
    out: Path = args.out
    t_start = time.time()
    timings: dict[str, float] = {}

    def log(msg: str) -> None:
        print(f"[{time.time() - t_start:7.1f}s] {msg}", flush=True)

    def phase(name: str, t0: float) -> None:
        timings[name] = round(time.time() - t0, 1)
        log(f"{name} done in {timings[name]}s")

    log(f"build {MODEL_NAME} ({'quick' if args.quick else 'full'}) -> {out}; config {json.dumps(cfg)}")
    log(f"torch {torch.__version__}, threads {torch.get_num_threads()}, python {platform.python_version()}")

    # 1. Data.
    t0 = time.time()
    ds = data.generate(cfg["n_train"], seed=0)
    held = data.generate(1000, seed=1)
    phase("data", t0)

    # 2. VAE, then the scaling factor that gives the latents unit variance (as SD's 0.18215).
    t0 = time.time()
    enc, dec = train.train_vae(ds["images"], cfg["vae_steps"], cfg["vae_batch"], seed=10, log=log)
    raw = train.encode_all(enc, ds["images"])
    scaling_factor = float(f"{1.0 / raw.std().item():.5f}")
    latents = raw * scaling_factor
    with torch.no_grad():
        held_x = torch.from_numpy(data.to_float(held["images"]))
        held_rec = train.decode_all(dec, enc(held_x))
        vae_mse = torch.mean((held_rec - held_x) ** 2).item()
    log(f"scaling_factor {scaling_factor}; latent channel means {[round(v, 3) for v in latents.mean((0, 2, 3)).tolist()]}"
        f" stds {[round(v, 3) for v in latents.std((0, 2, 3)).tolist()]}; held-out reconstruction MSE {vae_mse:.5f}")
    phase("vae", t0)

    # 3. Classifier, on real renders and on VAE reconstructions (generated images look like those).
    t0 = time.time()
    n_rec = min(len(latents), 3000)
    recon = train.decode_all(dec, raw[:n_rec])
    clf_images = torch.cat([torch.from_numpy(data.to_float(ds["images"])), recon])
    labels = torch.from_numpy(np.stack([ds["shape"], ds["colour"], ds["background"]], 1))
    clf_labels = torch.cat([labels, labels[:n_rec]])
    clf = train.train_classifier(clf_images, clf_labels, cfg["clf_steps"], cfg["clf_batch"], seed=20, log=log)
    del clf_images, recon
    held_labels = torch.from_numpy(np.stack([held["shape"], held["colour"], held["background"]], 1))
    with torch.no_grad():
        acc_real = (train.predict(clf(held_x)) == held_labels).float().mean(0).tolist()
        acc_rec = (train.predict(clf(held_rec.clamp(-1, 1))) == held_labels).float().mean(0).tolist()
    log(f"classifier held-out accuracy (shape, colour, background): real {acc_real}, VAE-reconstructed {acc_rec}")
    phase("classifier", t0)

    # 4. Text encoder + UNet.
    t0 = time.time()
    tokens = train.caption_tokens(ds)
    torch.set_num_threads(args.unet_threads)
    te, unet = train.train_diffusion(latents, tokens, cfg["unet_steps"], cfg["unet_batch"], seed=30, log=log)
    torch.set_num_threads(args.threads)
    phase("unet_text", t0)

    # 5. Export, state dicts, fixtures.
    t0 = time.time()
    described = export.export_all(out, te, unet, enc, dec, clf, scaling_factor)
    pt = out / "pytorch"
    pt.mkdir(parents=True, exist_ok=True)
    for name, m in (("text_encoder", te), ("unet", unet), ("vae_encoder", enc), ("vae_decoder", dec), ("classifier", clf)):
        torch.save(m.state_dict(), pt / f"{name}.pt")
    fixtures.write_all(out / "fixtures", te, unet, dec, clf, scaling_factor)
    fixtures.write_final_step(out / "fixtures", te, unet, dec, scaling_factor)
    phase("export", t0)

    # 6. Prompt fidelity.
    t0 = time.time()
    fid = {}
    for eta in (0.0, 1.0):
        res, imgs = evaluate.fidelity(te, unet, dec, clf, scaling_factor, seeds=cfg["eval_seeds"], eta=eta,
                                          limit=args.eval_limit)
        fid[f"eta{eta:g}"] = res
        log(f"fidelity DDIM 50 steps, CFG 5, eta {eta:g}: {json.dumps(res)}")
        if eta == 0.0:
            evaluate.save_grid(imgs[:: len(cfg["eval_seeds"])], out / "samples.png", cols=15 if args.eval_limit is None else 9)
    phase("fidelity", t0)

    total = round(time.time() - t_start, 1)
    stats = {
        "mode": "quick" if args.quick else "full",
        "config": cfg,
        "threads": args.threads,
        "unet_threads": args.unet_threads,
        "timings_s": timings,
        "total_s": total,
        "scaling_factor": scaling_factor,
        "vae_heldout_mse": vae_mse,
        "classifier_heldout_accuracy": {"real": acc_real, "vae_reconstructed": acc_rec},
        "fidelity": fid,
        "eval_limit": args.eval_limit,
        "params": {n: nets.param_count(m) for n, m in
                   (("text_encoder", te), ("unet", unet), ("vae_encoder", enc), ("vae_decoder", dec), ("classifier", clf))},
        "onnx": described,
    }
    (out / "build_stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    write_model_card(out, stats)
    log(f"build finished in {total}s")


def _io_table(desc: dict) -> str:
    rows = []
    for name, d in desc.items():
        for kind in ("inputs", "outputs"):
            for v in d[kind]:
                rows.append(f"| {name} | {kind[:-1]} | `{v['name']}` | {v['dtype']} | {v['dims']} |")
    return "\n".join(["| model | role | name | dtype | dims |", "|---|---|---|---|---|", *rows])


def write_model_card(out: Path, s: dict) -> None:
    fid = s["fidelity"]
    p = s["params"]
    ops = "\n".join(f"- `{n}/model.onnx` ({d['nodes']} nodes, opset {d['opset']}): {', '.join(d['ops'])}"
                    for n, d in s["onnx"].items())
    t = s["timings_s"]
    card = f"""# {MODEL_NAME}: a tiny Stable-Diffusion-shaped text-to-image model

Trained from scratch on procedurally generated 64x64 scenes of coloured shapes on coloured
backgrounds, in the diffusers ONNX layout (the same folder structure as a Stable Diffusion 1.5 ONNX
export), so every code path a real model takes is exercised on CPU. Built by `models/build.py`
({s['mode']} build).

## Vocabulary of the prompts
`a|two [small|large] <colour> <shape>[s] on a <colour> background`; colours: {', '.join(data.COLOURS)};
shapes: {', '.join(data.SHAPES)}. The shape colour and the background colour always differ; "two" is
only ever small. The empty prompt is the unconditional branch (trained with 10 % caption dropout).
Unknown words map to `<|unk|>`, which the model never saw in training.

## Architecture
| part | what | parameters |
|---|---|---|
| tokenizer | WordLevel, {len(__import__('tiny_shapes.tokenizer', fromlist=['VOCAB']).VOCAB)} tokens, CLIP conventions: `<|startoftext|>` ... `<|endoftext|>`, pad = `<|endoftext|>`, fixed length 16 | - |
| text_encoder | token + position embeddings, 2 causal pre-LN transformer layers (width 64, 2 heads, GELU MLP), final LayerNorm -> `last_hidden_state` | {p['text_encoder']:,} |
| unet | sinusoidal timestep embedding + MLP; conv_in; 8x8 level (32 ch): ResBlock; strided-conv down-sampling; 4x4 level (64 ch): ResBlock + spatial transformer, mid ResBlock + spatial transformer, up ResBlock (skip concat) + spatial transformer; nearest up-sampling + conv; 8x8: ResBlock (skip concat) + spatial transformer; GroupNorm, SiLU, conv_out. ResBlock = GroupNorm, SiLU, conv, time projection, GroupNorm, SiLU, conv, residual. Spatial transformer = GroupNorm, 1x1 proj_in, LayerNorm + self-attention, LayerNorm + cross-attention to the text states, LayerNorm + GEGLU feed-forward, 1x1 proj_out, residual (2 heads). Epsilon prediction | {p['unet']:,} |
| vae_encoder | 64x64x3 -> 8x8x4 (mean of the posterior): 4x4-patch conv to 16x16, GroupNorm/SiLU ResBlock, strided conv to 8x8, ResBlock, GroupNorm, SiLU, conv | {p['vae_encoder']:,} |
| vae_decoder | 8x8x4 -> 64x64x3: conv, GroupNorm/SiLU ResBlock, nearest up-sampling + conv to 16x16, ResBlock, 4x4-stride ConvTranspose to 64x64, GroupNorm, SiLU, conv; output approximately in [-1, 1] (clamp before converting to pixels, as diffusers does) | {p['vae_decoder']:,} |
| classifier | input RGB plus a 4th channel = squared distance of each pixel to the mean colour of the image's 2-pixel frame; 4 x (strided conv, BatchNorm, ReLU), global average pool, linear -> 15 logits (3 heads, see `classifier/labels.json`) | {p['classifier']:,} |

Latent scaling factor (in `vae_decoder/config.json`, diffusers' `scaling_factor`): **{s['scaling_factor']}**
(1 / std of the training latents): the UNet works on `vae_encoder` output x scaling_factor, and
`vae_decoder` takes latents / scaling_factor, as in diffusers. Scheduler: DDIMScheduler config of SD (scaled_linear betas
0.00085..0.012, 1000 steps, leading spacing, steps_offset 1, set_alpha_to_one false, epsilon).

## ONNX files (opset 17, dynamic batch axis on every input and output)
{_io_table(s['onnx'])}

`timestep` is int64 of shape [batch] (one value per batch row, as SD-1.5 ONNX exports take).

Op types per graph:
{ops}

## Training
Data: {s['config']['n_train']} generated scenes (seed 0), 1000 held-out scenes (seed 1); 3/4 have one
shape (small 20-27 px or large 34-44 px, within 9 px of the centre), 1/4 two small shapes anywhere;
colours jittered by up to 12/255 per channel; 2x supersampled edges. Captions with and without the
size word (1/2 each).
VAE: {s['config']['vae_steps']} steps at batch {s['config']['vae_batch']} (MSE + 0.5 L1 + 1e-4 KL on the reparameterised sample, Adam 3e-3 cosine);
held-out reconstruction MSE {s['vae_heldout_mse']:.5f} (images in [-1, 1]).
Classifier: {s['config']['clf_steps']} steps at batch {s['config']['clf_batch']} on renders plus VAE reconstructions;
held-out accuracy (shape, shape colour, background colour): real {_pct(s['classifier_heldout_accuracy']['real'])},
VAE-reconstructed {_pct(s['classifier_heldout_accuracy']['vae_reconstructed'])}.
Text encoder + UNet jointly: {s['config']['unet_steps']} steps at batch {s['config']['unet_batch']}, AdamW 2e-3 cosine (100 warm-up steps),
grad clip 1, epsilon MSE on the scaled_linear schedule, 10 % caption dropout, EMA 0.999 (exported).

Timings on this machine (2 cores shared with other work; {s['threads']} torch threads, {s['unet_threads']} for the UNet): data {t['data']} s, VAE {t['vae']} s,
classifier {t['classifier']} s, text encoder + UNet {t['unet_text']} s, export + fixtures {t['export']} s,
fidelity evaluation {t['fidelity']} s; **whole build {s['total_s']} s ({s['total_s'] / 60:.1f} min)**.

## Prompt fidelity
{'All 90' if s.get('eval_limit') is None else 'About ' + str(s['eval_limit']) + ' of the 90'} single-shape prompts without a size word (3 shapes x 6 colours x 5 other background colours)
x seeds {s['config']['eval_seeds']} (x_T and per-step noise from `torch.Generator().manual_seed(seed)`),
DDIM 50 steps, CFG 5; an image counts when the classifier's argmax matches the prompt on all three
heads.

| eta | images | all three | shape | shape colour | background |
|---|---|---|---|---|---|
""" + "\n".join(
        f"| {k[3:]} | {v['images']} | **{v['all_three'] * 100:.1f} %** | {v['shape'] * 100:.1f} % | {v['shape_colour'] * 100:.1f} % | {v['background_colour'] * 100:.1f} % |"
        for k, v in fid.items()
    ) + f"""

`samples.png`: the 90 prompts (eta 0, seed {s['config']['eval_seeds'][0]}), row-major in the order of
`evaluate.fidelity_prompts()`: shape (circle, square, triangle) x shape colour x background colour.

## Files
- `pytorch/*.pt`: the trained state dicts of the exported modules (definitions in
  `models/tiny_shapes/nets.py`), so outputs and gradients can be checked against PyTorch.
- `fixtures/`: reference inputs/outputs/gradients from the PyTorch model (see `fixtures/README.md`).
- `build_stats.json`: everything above as JSON.

## Rebuild
`npm run build:model` (= `/usr/bin/python3 models/build.py`); apt packages: python3-torch python3-onnx
python3-numpy python3-pil. Fixed seeds; results are the same up to float reduction order (thread count).
"""
    (out / "MODEL_CARD.md").write_text(card)


def _pct(v: list[float]) -> str:
    return ", ".join(f"{x * 100:.1f} %" for x in v)


if __name__ == "__main__":
    main()
