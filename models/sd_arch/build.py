#!/usr/bin/python3
"""Builds SD-1.5- and SD-2.1-architecture model folders with random weights, exported like the public
diffusers-ONNX exports (see export.py), in float32 and float16.

    /usr/bin/python3 models/sd_arch/build.py                  # scaled-down builds → models/sd_arch/tiny/ (committed)
    /usr/bin/python3 models/sd_arch/build.py --scale full     # full size → .cache/sd-arch/ (GBs, minutes, not in CI)
    /usr/bin/python3 models/sd_arch/build.py --count          # check the full-size parameter counts, no export
    /usr/bin/python3 models/sd_arch/build.py --scale full --fp16-only   # redo <arch>-fp16 from a built <arch>/

Folders written (for each of sd15, sd21): <arch>/ (float32, UNet weights in unet/weights.pb) and
<arch>-fp16/ (float16). The scaled-down builds also get fixtures/ (a PyTorch generation, fixtures.py).
Needs Debian's python3-torch (1.13) and python3-onnx. Weights come from a fixed seed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sd_arch import bpe, configs, export, fixtures, nets  # noqa: E402

TINY_VOCAB = 1024
PARTS = ["text_encoder", "unet", "vae_encoder", "vae_decoder"]
TOKENS = 77
# 16×16 latents (128 px): the test gives the folder a unet/config.json with this sample_size (the 64×64
# default of a config-less folder is checked by loading only), which keeps the generation test to seconds.
FIXTURE = {"prompt": "a red circle on a blue background", "steps": 3, "guidance": 5.0, "seed": 7, "latent_size": 16}


def build(arch_key: str, scale: str, out: Path, log, fixtures_only: bool = False) -> dict:
    arch = configs.ARCHITECTURES[arch_key]
    cfg = configs.scaled(arch) if scale == "tiny" else arch
    folder, folder16 = out / arch_key, out / f"{arch_key}-fp16"
    for f in (folder, folder16):
        if f.exists() and not fixtures_only:
            shutil.rmtree(f)
    vocab_size = TINY_VOCAB if scale == "tiny" else cfg["text"]["vocab_size"]
    vocab = bpe.write(folder / "tokenizer", vocab_size, cfg["tokenizer"]["pad_token"], TOKENS)
    cfg["text"]["vocab_size"] = len(vocab)
    torch.manual_seed({"sd15": 15, "sd21": 21}[arch_key])
    te, unet = nets.TextEncoder(cfg["text"]).eval(), nets.UNet(cfg["unet"]).eval()
    venc, vdec = nets.VaeEncoder(cfg["vae"]).eval(), nets.VaeDecoder(cfg["vae"]).eval()
    counts = {name: nets.count_parameters(m) for name, m in
              (("text_encoder", te), ("unet", unet), ("vae_encoder", venc), ("vae_decoder", vdec))}
    log(f"{arch_key} ({scale}): parameters {json.dumps(counts)}")
    if fixtures_only:  # the same seed gives the same weights: only the fixtures are rewritten
        write_fixtures(arch_key, cfg, folder, vocab, vocab_size, te, unet, vdec, log)
        return counts
    t0 = time.time()
    parts = export.export_parts(folder, te, unet, venc, vdec, cfg, TOKENS, log)
    export.write_configs(folder, cfg)
    log(f"{arch_key}: float32 export {time.time() - t0:.1f}s")
    build_fp16(arch_key, cfg, folder, folder16, parts, log)
    if scale == "tiny":
        write_fixtures(arch_key, cfg, folder, vocab, vocab_size, te, unet, vdec, log)
    return counts


def build_fp16(arch_key: str, cfg: dict, folder: Path, folder16: Path, parts: list[str], log) -> None:
    """The float16 variant of the float32 folder `folder`, written to `folder16`."""
    t0 = time.time()
    export.export_fp16(folder16, folder, parts, log)
    export.write_configs(folder16, cfg)
    shutil.copytree(folder / "tokenizer", folder16 / "tokenizer")
    log(f"{arch_key}: float16 export {time.time() - t0:.1f}s")


def fp16_only(arch_key: str, scale: str, out: Path, log) -> None:
    """Rewrites `<arch>-fp16` from an already built float32 folder (no PyTorch build, no re-export)."""
    arch = configs.ARCHITECTURES[arch_key]
    cfg = configs.scaled(arch) if scale == "tiny" else arch
    folder, folder16 = out / arch_key, out / f"{arch_key}-fp16"
    missing = [p for p in PARTS if not (folder / p / "model.onnx").exists()]
    if missing or not (folder / "tokenizer").is_dir():
        sys.exit(f"{folder} is not a complete float32 build (missing: {', '.join(missing) or 'tokenizer'}); "
                 "build it without --fp16-only first")
    if folder16.exists():
        shutil.rmtree(folder16)
    build_fp16(arch_key, cfg, folder, folder16, PARTS, log)


def write_fixtures(arch_key, cfg, folder, vocab, vocab_size, te, unet, vdec, log) -> None:
    t0 = time.time()
    tok = bpe.ClipBpe(vocab, bpe.make_merges(vocab_size), cfg["tokenizer"]["pad_token"])
    eta = 1.0 if arch_key == "sd21" else 0.0  # one build checks the per-step noise path, one the eta-0 path
    c, size = cfg["unet"]["in_channels"], FIXTURE["latent_size"]
    result = fixtures.generate(te, unet, vdec, tok, cfg, FIXTURE["prompt"], FIXTURE["steps"], eta,
                               FIXTURE["guidance"], (c, size, size), TOKENS, FIXTURE["seed"])
    settings = dict(FIXTURE, eta=eta, negative_prompt="", latent=[c, size, size],
                    scaling_factor=cfg["vae"]["scaling_factor"])
    fixtures.write(folder / "fixtures", result, settings)
    log(f"{arch_key}: fixtures {time.time() - t0:.1f}s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=("tiny", "full"), default="tiny")
    ap.add_argument("--arch", choices=("sd15", "sd21", "all"), default="all")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default: models/sd_arch/tiny, or .cache/sd-arch for --scale full)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--count", action="store_true", help="only check the full-size parameter counts")
    ap.add_argument("--fixtures-only", action="store_true", help="rewrite the scaled-down builds' fixtures only")
    ap.add_argument("--fp16-only", action="store_true",
                    help="rewrite <arch>-fp16 from the float32 folder already built in the output folder")
    # --- aesthetic scorer (reward-clip helper's part, models/sd_arch/aesthetic.py) ---
    ap.add_argument("--aesthetic", action="store_true",
                    help="build only the aesthetic-predictor-shaped scorer (CLIP ViT-L/14 tower + LAION MLP head)")
    # --- end aesthetic scorer ---
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    start = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - start:6.1f}s] {msg}", flush=True)

    if args.aesthetic:  # the scorer only (aesthetic.py); full size → .cache/sd-arch/aesthetic, ~1.2 GB
        from sd_arch import aesthetic
        log(f"done: {json.dumps(aesthetic.main(args.scale, args.out, log))}")
        return
    keys = ["sd15", "sd21"] if args.arch == "all" else [args.arch]
    if args.count:
        for key in keys:
            arch = configs.ARCHITECTURES[key]
            got = {"unet": nets.count_parameters(nets.UNet(arch["unet"])),
                   "vae": nets.count_parameters(nets.VaeEncoder(arch["vae"])) + nets.count_parameters(nets.VaeDecoder(arch["vae"])),
                   "text_encoder": nets.count_parameters(nets.TextEncoder(arch["text"]))}
            ok = got == configs.PARAMETERS[key]
            log(f"{key}: {json.dumps(got)} {'= published' if ok else '≠ published ' + json.dumps(configs.PARAMETERS[key])}")
            if not ok:
                sys.exit(1)
        return
    out = args.out or (HERE / "tiny" if args.scale == "tiny" else HERE.parent.parent / ".cache" / "sd-arch")
    if args.fp16_only:
        for key in keys:
            fp16_only(key, args.scale, out, log)
        log("done")
        return
    stats = {key: build(key, args.scale, out, log, args.fixtures_only) for key in keys}
    log(f"done: {json.dumps(stats)}")


if __name__ == "__main__":
    main()
