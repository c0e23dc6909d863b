"""ONNX export in the layout of the public diffusers-ONNX exports (diffusers'
convert_stable_diffusion_checkpoint_to_onnx.py, the runwayml "onnx" branch):

    model_index.json                         OnnxStableDiffusionPipeline
    scheduler/scheduler_config.json          the model's own scheduler config
    tokenizer/vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json
    text_encoder/model.onnx                  input_ids int32 [batch, sequence] → last_hidden_state, pooler_output
    unet/model.onnx + unet/weights.pb        sample, timestep (float [batch]), encoder_hidden_states → out_sample
    vae_encoder/model.onnx                   sample → latent_sample (a draw from the latent distribution)
    vae_decoder/model.onnx                   latent_sample → sample

Opset 14, every axis but the fixed ones dynamic, no per-part config.json. The UNet always keeps its weights
in one external file `weights.pb` (as the conversion script does); any other part over 2 GB does too.
The float16 variant converts the float32 graph (weights, constants, inputs and outputs) in place, tensor by
tensor: a protobuf message cannot exceed 2 GB, so the full-size UNet (3.4 GB of float32) is never serialized
whole, only written with its weights in `weights.pb`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, numpy_helper

OPSET = 14
TWO_GB = 2 * 1024 ** 3


def _save(model: onnx.ModelProto, path: Path, external: bool) -> None:
    for stale in (path, path.parent / "weights.pb"):
        if stale.exists():
            stale.unlink()
    if external:
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location="weights.pb", convert_attribute=False)
    else:
        onnx.save_model(model, str(path))


def _export(module: torch.nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str],
            dynamic: dict, always_external: bool = False) -> onnx.ModelProto:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / ".export"
    tmp.mkdir(exist_ok=True)
    raw = tmp / "model.onnx"
    with torch.no_grad():
        torch.onnx.export(module, args, str(raw), input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)
    model = onnx.load(str(raw))  # loads torch's own external-data files too (> 2 GB)
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    _save(model, path, always_external or tensor_bytes(model) > TWO_GB)
    return model


def tensor_bytes(model: onnx.ModelProto) -> int:
    """Bytes of the weights held in the graph: initializers and Constant nodes' tensors (external data not counted)."""
    size = sum(t.ByteSize() for t in model.graph.initializer)
    for n in model.graph.node:
        size += sum(a.t.ByteSize() for a in n.attribute if a.type == onnx.AttributeProto.TENSOR)
    return size


def export_parts(folder: Path, te, unet, venc, vdec, cfg: dict, tokens: int, log) -> list[str]:
    """Exports the four graphs (float32) into `folder`; returns the part names."""
    u, v, t = cfg["unet"], cfg["vae"], cfg["text"]
    lat = 8  # trace size; every spatial axis is dynamic in the graph
    models = {}

    def part(name: str, *args, **kwargs) -> None:
        t0 = time.time()
        log(f"{folder.name}/{name}: exporting (float32)…")
        with heartbeat(log, f"{folder.name}/{name}"):
            models[name] = _export(*args, **kwargs)
        log(f"{folder.name}/{name}: exported in {time.time() - t0:.1f}s ({_folder_mb(folder / name):.0f} MB)")

    part("text_encoder", te, (torch.zeros(1, tokens, dtype=torch.int32),), folder / "text_encoder/model.onnx",
         ["input_ids"], ["last_hidden_state", "pooler_output"], {"input_ids": {0: "batch", 1: "sequence"}})
    part("unet", unet,
         (torch.randn(2, u["in_channels"], lat, lat), torch.randn(2), torch.randn(2, tokens, t["hidden_size"])),
         folder / "unet/model.onnx", ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
         {"sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}, "timestep": {0: "batch"},
          "encoder_hidden_states": {0: "batch", 1: "sequence"}}, always_external=True)
    part("vae_encoder", venc, (torch.randn(1, v["in_channels"], lat * 8, lat * 8),), folder / "vae_encoder/model.onnx",
         ["sample"], ["latent_sample"], {"sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}})
    part("vae_decoder", vdec, (torch.randn(1, v["latent_channels"], lat, lat),), folder / "vae_decoder/model.onnx",
         ["latent_sample"], ["sample"], {"latent_sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}})
    return list(models)


@contextlib.contextmanager
def heartbeat(log, label: str, every: float = 60.0):
    """Logs "<label>: still running (Ns)" every `every` seconds while the block runs (the full-size UNet's
    export takes minutes with no output of its own)."""
    done, t0 = threading.Event(), time.time()

    def beat() -> None:
        while not done.wait(every):
            log(f"{label}: still running ({time.time() - t0:.0f}s)")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1024 ** 2


# ----------------------------------------------------------------------------- float16


def _fp16_tensor(t: TensorProto) -> TensorProto:
    array = numpy_helper.to_array(t)
    half = np.clip(array, -65504, 65504).astype(np.float16)
    return numpy_helper.from_array(half, t.name)


def to_float16(model: onnx.ModelProto) -> onnx.ModelProto:
    """Every float32 tensor of the graph becomes float16 (weights, constants, casts, inputs, outputs), except the
    inputs that ONNX requires to be float32 (Resize's scales). Converts `model` in place and returns it: copying
    it through SerializeToString fails for models over 2 GB (the full-size UNet)."""
    g = model.graph
    keep = {n.input[2] for n in g.node if n.op_type == "Resize" and len(n.input) > 2 and n.input[2]}
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT and t.name not in keep:
            g.initializer[i].CopyFrom(_fp16_tensor(t))
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT and not (
                    n.op_type == "Constant" and n.output[0] in keep):
                a.t.CopyFrom(_fp16_tensor(a.t))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
            if n.op_type in ("RandomNormalLike", "RandomUniformLike") and a.name == "dtype" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    for value in list(g.input) + list(g.output):
        if value.type.tensor_type.elem_type == TensorProto.FLOAT:
            value.type.tensor_type.elem_type = TensorProto.FLOAT16
    del g.value_info[:]
    return model


def export_fp16(folder: Path, source: Path, parts: list[str], log=lambda msg: None) -> None:
    """Converts the float32 parts saved in `source` (external data included) into `folder`."""
    for part in parts:
        t0 = time.time()
        log(f"{folder.name}/{part}: converting to float16…")
        path = folder / part / "model.onnx"
        path.parent.mkdir(parents=True, exist_ok=True)
        with heartbeat(log, f"{folder.name}/{part}"):
            half = to_float16(onnx.load(str(source / part / "model.onnx")))
            _save(half, path, part == "unet" or tensor_bytes(half) > TWO_GB)
        del half
        log(f"{folder.name}/{part}: float16 in {time.time() - t0:.1f}s ({_folder_mb(path.parent):.0f} MB)")


# ----------------------------------------------------------------------------- folder files


def write_configs(folder: Path, cfg: dict) -> None:
    index = {
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.6.0",
        "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
        "scheduler": ["diffusers", cfg["scheduler"]["_class_name"]],
        "text_encoder": ["diffusers", "OnnxRuntimeModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "OnnxRuntimeModel"], "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
        "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")
    (folder / "scheduler").mkdir(parents=True, exist_ok=True)
    (folder / "scheduler/scheduler_config.json").write_text(json.dumps(cfg["scheduler"], indent=2) + "\n")
