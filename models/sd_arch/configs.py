"""Published configurations of SD-1.5 (runwayml/stable-diffusion-v1-5) and SD-2.1 (stabilityai/stable-diffusion-2-1),
and their scaled-down twins: same blocks, ops and file layout, tiny channel counts and vocabulary.

`PARAMETERS` holds the published parameter counts of the full-size parts (`build.py --count` checks them).
"""

from __future__ import annotations

import copy

SD15 = {
    "name": "sd15-arch",
    "unet": {
        "in_channels": 4, "out_channels": 4, "sample_size": 64,
        "block_out_channels": [320, 640, 1280, 1280], "layers_per_block": 2,
        "attention_heads": [8, 8, 8, 8], "cross_attention_dim": 768, "norm_num_groups": 32,
        "use_linear_projection": False, "upcast_attention": False,
    },
    "vae": {
        "in_channels": 3, "out_channels": 3, "latent_channels": 4, "sample_size": 512,
        "block_out_channels": [128, 256, 512, 512], "layers_per_block": 2, "norm_num_groups": 32,
        "scaling_factor": 0.18215,
    },
    "text": {
        "vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
        "num_attention_heads": 12, "max_position_embeddings": 77, "hidden_act": "quick_gelu",
    },
    "tokenizer": {"pad_token": "<|endoftext|>"},
    # runwayml/stable-diffusion-v1-5's scheduler/scheduler_config.json
    "scheduler": {
        "_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
        "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None,
        "clip_sample": False,
    },
}

SD21 = {
    "name": "sd21-arch",
    "unet": {
        "in_channels": 4, "out_channels": 4, "sample_size": 96,
        "block_out_channels": [320, 640, 1280, 1280], "layers_per_block": 2,
        "attention_heads": [5, 10, 20, 20], "cross_attention_dim": 1024, "norm_num_groups": 32,
        "use_linear_projection": True, "upcast_attention": True,
    },
    "vae": dict(SD15["vae"], sample_size=768),
    # OpenCLIP ViT-H/14's text tower as transformers holds it for SD-2 (the last of its 24 layers dropped).
    "text": {
        "vocab_size": 49408, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 23,
        "num_attention_heads": 16, "max_position_embeddings": 77, "hidden_act": "gelu",
    },
    "tokenizer": {"pad_token": "!"},
    # stabilityai/stable-diffusion-2-1's scheduler/scheduler_config.json
    "scheduler": {
        "_class_name": "DDIMScheduler", "_diffusers_version": "0.8.0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False,
        "num_train_timesteps": 1000, "prediction_type": "v_prediction", "set_alpha_to_one": False,
        "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None,
    },
}

ARCHITECTURES = {"sd15": SD15, "sd21": SD21}

# Published parameter counts of the full-size parts.
PARAMETERS = {
    "sd15": {"unet": 859_520_964, "vae": 83_653_863, "text_encoder": 123_060_480},
    "sd21": {"unet": 865_910_724, "vae": 83_653_863, "text_encoder": 340_387_840},
}


def scaled(arch: dict) -> dict:
    """The scaled-down twin: channels ÷40 (UNet) and ÷16 (VAE), 2 text layers, a tiny vocabulary; every
    block, attention kind and file stays. Cross-attention widths stay different (SD-1.5 32, SD-2.1 40)."""
    cfg = copy.deepcopy(arch)
    sd2 = arch["unet"]["use_linear_projection"]
    cfg["name"] = arch["name"] + "-tiny"
    cfg["unet"].update({
        "block_out_channels": [8, 16, 16, 16], "norm_num_groups": 4,
        "attention_heads": [1, 2, 2, 2] if sd2 else [2, 2, 2, 2],
        "cross_attention_dim": 40 if sd2 else 32,
    })
    cfg["vae"].update({"block_out_channels": [8, 16, 16, 16], "norm_num_groups": 4})
    cfg["text"].update({
        "hidden_size": cfg["unet"]["cross_attention_dim"], "intermediate_size": 4 * cfg["unet"]["cross_attention_dim"],
        "num_hidden_layers": 2, "num_attention_heads": 2, "vocab_size": None,  # set from the tokenizer
    })
    return cfg
