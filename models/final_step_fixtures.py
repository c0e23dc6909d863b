#!/usr/bin/python3
"""Writes models/tiny-shapes-sd/fixtures/ddim_final_step.json from the committed PyTorch state dicts
(models/tiny-shapes-sd/pytorch/*.pt), without retraining: a short DDIM sample with both last-step
conventions (noise-free last step, the app's default; and diffusers' noise on the last step).

    /usr/bin/python3 models/final_step_fixtures.py

models/build.py writes the same file at every full build.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from tiny_shapes import fixtures, nets  # noqa: E402


def main() -> None:
    torch.set_num_threads(2)
    model = HERE / "tiny-shapes-sd"
    te, unet, dec = nets.TextEncoder(), nets.UNet(), nets.VaeDecoder()
    for name, m in (("text_encoder", te), ("unet", unet), ("vae_decoder", dec)):
        m.load_state_dict(torch.load(model / "pytorch" / f"{name}.pt", map_location="cpu"))
    scaling_factor = json.loads((model / "vae_decoder" / "config.json").read_text())["scaling_factor"]
    fixtures.write_final_step(model / "fixtures", te, unet, dec, float(scaling_factor))
    print(f"wrote {model / 'fixtures' / 'ddim_final_step.json'}")


if __name__ == "__main__":
    main()
