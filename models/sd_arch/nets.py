"""The Stable Diffusion architectures (UNet, VAE, CLIP-style text encoder), written from the published
structure of diffusers' UNet2DConditionModel / AutoencoderKL and transformers' CLIPTextModel.

Module and parameter layout follows the published models, so the full-size configurations have the
published parameter counts (checked by `build.py --count`). Weights are random (fixed seed): the point is
the graph the export produces (ops, opsets, sizes, memory), not pictures.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


# ----------------------------------------------------------------------------- shared pieces


def timestep_embedding(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding with flip_sin_to_cos=True and freq_shift=0 (SD's Timesteps(320, True, 0))."""
    half = dim // 2
    exponent = -math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=timesteps.device) / half
    emb = timesteps[:, None].float() * torch.exp(exponent)[None, :]
    return torch.cat([torch.cos(emb), torch.sin(emb)], dim=-1)


class Attention(nn.Module):
    """Multi-head attention with to_q/to_k/to_v/to_out as diffusers names them (MatMul + Softmax in ONNX)."""

    def __init__(self, query_dim: int, heads: int, head_dim: int, context_dim: int | None = None,
                 upcast: bool = False, bias: bool = False):
        super().__init__()
        inner = heads * head_dim
        context_dim = context_dim or query_dim
        self.heads = heads
        self.scale = head_dim ** -0.5
        self.upcast = upcast
        self.to_q = nn.Linear(query_dim, inner, bias=bias)
        self.to_k = nn.Linear(context_dim, inner, bias=bias)
        self.to_v = nn.Linear(context_dim, inner, bias=bias)
        self.to_out = nn.ModuleList([nn.Linear(inner, query_dim), nn.Dropout(0.0)])

    def split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).permute(0, 2, 1, 3)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        context = x if context is None else context
        q, k, v = self.split(self.to_q(x)), self.split(self.to_k(context)), self.split(self.to_v(context))
        if self.upcast:  # SD-2.1 computes the attention scores in float32 (a no-op for float32 exports)
            q, k = q.float(), k.float()
        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        probs = scores.softmax(dim=-1).to(v.dtype)
        out = torch.matmul(probs, v)
        b, h, n, d = out.shape
        out = out.permute(0, 2, 1, 3).reshape(b, n, h * d)
        return self.to_out[1](self.to_out[0](out))


class ResnetBlock(nn.Module):
    """ResnetBlock2D: GN → SiLU → conv → (+ time) → GN → SiLU → conv, 1×1 shortcut when channels change."""

    def __init__(self, cin: int, cout: int, temb: int | None, groups: int, eps: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x: torch.Tensor, temb: torch.Tensor | None = None) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None and temb is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Downsample(nn.Module):
    def __init__(self, c: int, padding: int = 1):
        super().__init__()
        self.padding = padding
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == 0:  # the VAE encoder pads right and bottom only
            x = F.pad(x, (0, 1, 0, 1))
        return self.conv(x)


class Upsample(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


# ----------------------------------------------------------------------------- UNet


class GEGLU(nn.Module):
    def __init__(self, dim: int, inner: int):
        super().__init__()
        self.proj = nn.Linear(dim, inner * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden, gate = self.proj(x).chunk(2, dim=-1)
        return hidden * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.net = nn.ModuleList([GEGLU(dim, dim * 4), nn.Dropout(0.0), nn.Linear(dim * 4, dim)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.net:
            x = layer(x)
        return x


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, head_dim: int, context_dim: int, upcast: bool):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn1 = Attention(dim, heads, head_dim, upcast=upcast)
        self.norm2 = nn.LayerNorm(dim)
        self.attn2 = Attention(dim, heads, head_dim, context_dim, upcast=upcast)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        return self.ff(self.norm3(x)) + x


class Transformer2D(nn.Module):
    """Transformer2DModel with one block: 1×1 conv projections (SD-1.x) or linear ones (SD-2.x)."""

    def __init__(self, c: int, heads: int, context_dim: int, groups: int, linear: bool, upcast: bool):
        super().__init__()
        self.linear = linear
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.proj_in = nn.Linear(c, c) if linear else nn.Conv2d(c, c, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(c, heads, c // heads, context_dim, upcast)])
        self.proj_out = nn.Linear(c, c) if linear else nn.Conv2d(c, c, 1)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        residual = x
        x = self.norm(x)
        if not self.linear:
            x = self.proj_in(x)
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
        if self.linear:
            x = self.proj_in(x)
        for block in self.transformer_blocks:
            x = block(x, context)
        if self.linear:
            x = self.proj_out(x)
        x = x.reshape(b, h, w, c).permute(0, 3, 1, 2)
        if not self.linear:
            x = self.proj_out(x)
        return x + residual


class DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int, cfg: dict, heads: int | None, add_down: bool):
        super().__init__()
        n, g = cfg["layers_per_block"], cfg["norm_num_groups"]
        self.resnets = nn.ModuleList([ResnetBlock(cin if i == 0 else cout, cout, temb, g, 1e-5) for i in range(n)])
        self.attentions = nn.ModuleList(
            [Transformer2D(cout, heads, cfg["cross_attention_dim"], g, cfg["use_linear_projection"], cfg["upcast_attention"])
             for _ in range(n)]) if heads else None
        self.downsamplers = nn.ModuleList([Downsample(cout)]) if add_down else None

    def forward(self, x, temb, context):
        skips = []
        for i, resnet in enumerate(self.resnets):
            x = resnet(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
            skips.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            skips.append(x)
        return x, skips


class UpBlock(nn.Module):
    def __init__(self, cin: int, cprev: int, cout: int, temb: int, cfg: dict, heads: int | None, add_up: bool):
        super().__init__()
        n, g = cfg["layers_per_block"] + 1, cfg["norm_num_groups"]
        self.resnets = nn.ModuleList()
        for i in range(n):
            skip = cin if i == n - 1 else cout
            self.resnets.append(ResnetBlock((cprev if i == 0 else cout) + skip, cout, temb, g, 1e-5))
        self.attentions = nn.ModuleList(
            [Transformer2D(cout, heads, cfg["cross_attention_dim"], g, cfg["use_linear_projection"], cfg["upcast_attention"])
             for _ in range(n)]) if heads else None
        self.upsamplers = nn.ModuleList([Upsample(cout)]) if add_up else None

    def forward(self, x, skips, temb, context):
        for i, resnet in enumerate(self.resnets):
            x = resnet(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[i](x, context)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class MidBlock(nn.Module):
    def __init__(self, c: int, temb: int, cfg: dict, heads: int):
        super().__init__()
        g = cfg["norm_num_groups"]
        self.resnets = nn.ModuleList([ResnetBlock(c, c, temb, g, 1e-5), ResnetBlock(c, c, temb, g, 1e-5)])
        self.attentions = nn.ModuleList(
            [Transformer2D(c, heads, cfg["cross_attention_dim"], g, cfg["use_linear_projection"], cfg["upcast_attention"])])

    def forward(self, x, temb, context):
        x = self.resnets[0](x, temb)
        x = self.attentions[0](x, context)
        return self.resnets[1](x, temb)


class TimestepEmbedding(nn.Module):
    def __init__(self, cin: int, dim: int):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class UNet(nn.Module):
    """UNet2DConditionModel: CrossAttnDownBlock2D ×3 + DownBlock2D, a cross-attention mid block, UpBlock2D +
    CrossAttnUpBlock2D ×3. `attention_heads[i]` is the head count of level i (diffusers' attention_head_dim,
    which SD's configs use as a head count: 8 for SD-1.x, [5, 10, 20, 20] for SD-2.x)."""

    def __init__(self, cfg: dict):
        super().__init__()
        self.cfg = cfg
        ch = cfg["block_out_channels"]
        heads = cfg["attention_heads"]
        levels = len(ch)
        temb = ch[0] * 4
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        self.down_blocks = nn.ModuleList()
        for i in range(levels):
            cross = i < levels - 1  # the deepest level has no attention
            self.down_blocks.append(DownBlock(ch[max(i - 1, 0)] if i else ch[0], ch[i], temb, cfg,
                                              heads[i] if cross else None, add_down=i < levels - 1))
        self.mid_block = MidBlock(ch[-1], temb, cfg, heads[-1])
        rev, rev_heads = list(reversed(ch)), list(reversed(heads))
        self.up_blocks = nn.ModuleList()
        prev = rev[0]
        for i in range(levels):
            cross = i > 0
            cin = rev[min(i + 1, levels - 1)]
            self.up_blocks.append(UpBlock(cin, prev, rev[i], temb, cfg, rev_heads[i] if cross else None,
                                          add_up=i < levels - 1))
            prev = rev[i]
        self.conv_norm_out = nn.GroupNorm(cfg["norm_num_groups"], ch[0], eps=1e-5)
        self.conv_out = nn.Conv2d(ch[0], cfg["out_channels"], 3, padding=1)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor):
        timesteps = timestep.reshape(-1).expand(sample.shape[0]) if timestep.dim() else timestep.expand(sample.shape[0])
        temb = self.time_embedding(timestep_embedding(timesteps, self.cfg["block_out_channels"][0]).to(sample.dtype))
        x = self.conv_in(sample)
        skips = [x]
        for block in self.down_blocks:
            x, s = block(x, temb, encoder_hidden_states)
            skips.extend(s)
        x = self.mid_block(x, temb, encoder_hidden_states)
        n = self.cfg["layers_per_block"] + 1
        for block in self.up_blocks:
            block_skips = skips[-n:]
            skips = skips[:-n]
            x = block(x, block_skips, temb, encoder_hidden_states)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


# ----------------------------------------------------------------------------- VAE


class VaeAttention(nn.Module):
    """The VAE mid block's single-head self-attention (group_norm, to_q/k/v, to_out as diffusers ≥ 0.15)."""

    def __init__(self, c: int, groups: int):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.attn = Attention(c, 1, c, bias=True)

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).reshape(b, c, h * w).transpose(1, 2)
        y = self.attn(y).transpose(1, 2).reshape(b, c, h, w)
        return x + y


class VaeMid(nn.Module):
    def __init__(self, c: int, groups: int):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock(c, c, None, groups, 1e-6), ResnetBlock(c, c, None, groups, 1e-6)])
        self.attentions = nn.ModuleList([VaeAttention(c, groups)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class VaeEncoder(nn.Module):
    """AutoencoderKL's encoder + quant_conv; the export's output is a sample of the latent distribution."""

    def __init__(self, cfg: dict):
        super().__init__()
        ch, g, n = cfg["block_out_channels"], cfg["norm_num_groups"], cfg["layers_per_block"]
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch[0], 3, padding=1)
        self.down_blocks = nn.ModuleList()
        for i, c in enumerate(ch):
            block = nn.Module()
            block.resnets = nn.ModuleList([ResnetBlock(ch[max(i - 1, 0)] if j == 0 else c, c, None, g, 1e-6) for j in range(n)])
            block.downsamplers = nn.ModuleList([Downsample(c, padding=0)]) if i < len(ch) - 1 else None
            self.down_blocks.append(block)
        self.mid_block = VaeMid(ch[-1], g)
        self.conv_norm_out = nn.GroupNorm(g, ch[-1], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[-1], 2 * cfg["latent_channels"], 3, padding=1)
        self.quant_conv = nn.Conv2d(2 * cfg["latent_channels"], 2 * cfg["latent_channels"], 1)

    def moments(self, x):
        x = self.conv_in(x)
        for block in self.down_blocks:
            for resnet in block.resnets:
                x = resnet(x)
            if block.downsamplers is not None:
                x = block.downsamplers[0](x)
        x = self.conv_out(F.silu(self.conv_norm_out(self.mid_block(x))))
        return self.quant_conv(x)

    def forward(self, sample):
        mean, logvar = self.moments(sample).chunk(2, dim=1)
        std = torch.exp(0.5 * logvar.clamp(-30.0, 20.0))
        return mean + std * torch.randn_like(mean)


class VaeDecoder(nn.Module):
    """post_quant_conv + AutoencoderKL's decoder (what `vae.decode` runs)."""

    def __init__(self, cfg: dict):
        super().__init__()
        ch, g, n = cfg["block_out_channels"], cfg["norm_num_groups"], cfg["layers_per_block"] + 1
        rev = list(reversed(ch))
        self.post_quant_conv = nn.Conv2d(cfg["latent_channels"], cfg["latent_channels"], 1)
        self.conv_in = nn.Conv2d(cfg["latent_channels"], rev[0], 3, padding=1)
        self.mid_block = VaeMid(rev[0], g)
        self.up_blocks = nn.ModuleList()
        prev = rev[0]
        for i, c in enumerate(rev):
            block = nn.Module()
            block.resnets = nn.ModuleList([ResnetBlock(prev if j == 0 else c, c, None, g, 1e-6) for j in range(n)])
            block.upsamplers = nn.ModuleList([Upsample(c)]) if i < len(rev) - 1 else None
            self.up_blocks.append(block)
            prev = c
        self.conv_norm_out = nn.GroupNorm(g, ch[0], eps=1e-6)
        self.conv_out = nn.Conv2d(ch[0], cfg["out_channels"], 3, padding=1)

    def forward(self, latent_sample):
        x = self.conv_in(self.post_quant_conv(latent_sample))
        x = self.mid_block(x)
        for block in self.up_blocks:
            for resnet in block.resnets:
                x = resnet(x)
            if block.upsamplers is not None:
                x = block.upsamplers[0](x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


# ----------------------------------------------------------------------------- text encoder


class ClipMlp(nn.Module):
    def __init__(self, width: int, inner: int, act: str):
        super().__init__()
        self.act = act
        self.fc1 = nn.Linear(width, inner)
        self.fc2 = nn.Linear(inner, width)

    def forward(self, x):
        x = self.fc1(x)
        x = x * torch.sigmoid(1.702 * x) if self.act == "quick_gelu" else F.gelu(x)
        return self.fc2(x)


class ClipAttention(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.scale = (width // heads) ** -0.5
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, mask):
        b, n, c = x.shape
        split = lambda t: t.reshape(b, n, self.heads, c // self.heads).permute(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(self.q_proj(x) * self.scale), split(self.k_proj(x)), split(self.v_proj(x))
        probs = (torch.matmul(q, k.transpose(-1, -2)) + mask).softmax(dim=-1)
        out = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, n, c)
        return self.out_proj(out)


class ClipLayer(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        w = cfg["hidden_size"]
        self.self_attn = ClipAttention(w, cfg["num_attention_heads"])
        self.layer_norm1 = nn.LayerNorm(w, eps=1e-5)
        self.mlp = ClipMlp(w, cfg["intermediate_size"], cfg["hidden_act"])
        self.layer_norm2 = nn.LayerNorm(w, eps=1e-5)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class TextEncoder(nn.Module):
    """CLIPTextModel (no projection): token + position embeddings, causal pre-LN transformer, final LayerNorm;
    outputs last_hidden_state and pooler_output (the state at the end-of-text token, the highest id)."""

    def __init__(self, cfg: dict):
        super().__init__()
        w = cfg["hidden_size"]
        self.token_embedding = nn.Embedding(cfg["vocab_size"], w)
        self.position_embedding = nn.Embedding(cfg["max_position_embeddings"], w)
        self.register_buffer("position_ids", torch.arange(cfg["max_position_embeddings"])[None], persistent=False)
        self.layers = nn.ModuleList([ClipLayer(cfg) for _ in range(cfg["num_hidden_layers"])])
        self.final_layer_norm = nn.LayerNorm(w, eps=1e-5)

    def forward(self, input_ids: torch.Tensor):
        n = input_ids.shape[1]
        x = self.token_embedding(input_ids.long()) + self.position_embedding(self.position_ids[:, :n])
        mask = torch.full((n, n), float("-inf"), dtype=x.dtype).triu(1)[None, None]
        for layer in self.layers:
            x = layer(x, mask)
        x = self.final_layer_norm(x)
        eos = input_ids.to(torch.int64).argmax(dim=-1)
        pooled = x[torch.arange(x.shape[0]), eos]
        return x, pooled


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
