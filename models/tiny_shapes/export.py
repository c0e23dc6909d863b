"""ONNX export (opset 17, dynamic batch axis on every input and output) and the folder's configs."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import torch

from . import data, nets, schedule, tokenizer

OPSET = 17


def _export(model, args, path: Path, inputs: list[str], outputs: list[str]):
    path.parent.mkdir(parents=True, exist_ok=True)
    dynamic = {name: {0: "batch"} for name in inputs + outputs}
    torch.onnx.export(
        model,
        args,
        str(path),
        input_names=inputs,
        output_names=outputs,
        dynamic_axes=dynamic,
        opset_version=OPSET,
        do_constant_folding=True,
    )
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    _check_static_dims(m, path)
    return m


def _check_static_dims(m, path: Path) -> None:
    """Every input/output must be [batch, fixed...]: loaders validate shapes against these."""
    for v in list(m.graph.input) + list(m.graph.output):
        dims = v.type.tensor_type.shape.dim
        if dims[0].dim_param != "batch" or any(d.dim_param or d.dim_value <= 0 for d in list(dims)[1:]):
            raise RuntimeError(f"{path}: {v.name} has dims {dims}; expected [batch, fixed sizes]")


def describe(path: Path) -> dict:
    """Inputs/outputs (name, dtype, dims) and the sorted op types of one ONNX file."""
    m = onnx.load(str(path))

    def io(v):
        t = v.type.tensor_type
        dims = [d.dim_param or d.dim_value for d in t.shape.dim]
        return {"name": v.name, "dtype": onnx.TensorProto.DataType.Name(t.elem_type).lower(), "dims": dims}

    return {
        "inputs": [io(v) for v in m.graph.input],
        "outputs": [io(v) for v in m.graph.output],
        "ops": sorted({n.op_type for n in m.graph.node}),
        "nodes": len(m.graph.node),
        "opset": next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx")),
    }


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def export_all(out: Path, te, unet, enc, dec, clf, scaling_factor: float) -> dict:
    b = 2
    with torch.no_grad():
        ids = torch.tensor([tokenizer.encode("a red circle on a blue background")] * b)
        _export(te, (ids,), out / "text_encoder/model.onnx", ["input_ids"], ["last_hidden_state"])
        ctx = te(ids)
        lat = torch.randn(b, nets.LATENT_CHANNELS, 8, 8)
        ts = torch.tensor([981, 1], dtype=torch.int64)
        _export(unet, (lat, ts, ctx), out / "unet/model.onnx", ["sample", "timestep", "encoder_hidden_states"], ["out_sample"])
        _export(dec, (lat,), out / "vae_decoder/model.onnx", ["latent_sample"], ["sample"])
        img = torch.rand(b, 3, data.IMAGE_SIZE, data.IMAGE_SIZE) * 2 - 1
        _export(enc, (img,), out / "vae_encoder/model.onnx", ["sample"], ["latent_sample"])
        _export(clf, (img,), out / "classifier/model.onnx", ["image"], ["logits"])

    tokenizer.write(out / "tokenizer")
    _write_json(out / "scheduler/scheduler_config.json", schedule.SCHEDULER_CONFIG)
    _write_json(
        out / "model_index.json",
        {
            "_class_name": "OnnxStableDiffusionPipeline",
            "_diffusers_version": "0.30.0",
            "feature_extractor": [None, None],
            "requires_safety_checker": False,
            "safety_checker": [None, None],
            "scheduler": ["diffusers", "DDIMScheduler"],
            "text_encoder": ["diffusers", "OnnxRuntimeModel"],
            "tokenizer": ["transformers", "PreTrainedTokenizerFast"],
            "unet": ["diffusers", "OnnxRuntimeModel"],
            "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
            "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
        },
    )
    vae_cfg = {
        "_class_name": "AutoencoderKL",
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": nets.LATENT_CHANNELS,
        "sample_size": data.IMAGE_SIZE,
        "scaling_factor": scaling_factor,
    }
    _write_json(out / "vae_decoder/config.json", vae_cfg)
    _write_json(out / "vae_encoder/config.json", vae_cfg)
    _write_json(
        out / "unet/config.json",
        {
            "_class_name": "UNet2DConditionModel",
            "sample_size": 8,
            "in_channels": nets.LATENT_CHANNELS,
            "out_channels": nets.LATENT_CHANNELS,
            "cross_attention_dim": nets.TEXT_WIDTH,
            "block_out_channels": [unet.c0, unet.up1_res.conv1.out_channels],
            "timestep_input": {"dtype": "int64", "shape": ["batch"]},
        },
    )
    _write_json(
        out / "text_encoder/config.json",
        {
            "_class_name": "CLIPTextModel-like",
            "hidden_size": nets.TEXT_WIDTH,
            "max_position_embeddings": tokenizer.MAX_LENGTH,
            "vocab_size": len(tokenizer.VOCAB),
            "num_hidden_layers": len(te.layers),
            "causal": True,
        },
    )
    heads, off = [], 0
    for name, classes in (("shape", data.SHAPES), ("shape_colour", data.COLOURS), ("background_colour", data.COLOURS)):
        heads.append({"name": name, "offset": off, "classes": classes})
        off += len(classes)
    _write_json(
        out / "classifier/labels.json",
        {
            "output": "logits",
            "input": {"name": "image", "range": [-1, 1], "dims": ["batch", 3, data.IMAGE_SIZE, data.IMAGE_SIZE]},
            "note": "logits is [batch, 15]: three heads concatenated; softmax each head's slice separately",
            "heads": heads,
        },
    )
    return {
        name: describe(out / name / "model.onnx")
        for name in ("text_encoder", "unet", "vae_decoder", "vae_encoder", "classifier")
    }
