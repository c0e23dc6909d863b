"""PyTorch definitions of the tiny Stable-Diffusion-shaped model: text encoder, UNet, VAE, classifier.

Written so that torch 1.13's ONNX exporter (opset 17) emits the op families a real SD export has:
Gather (token embedding), LayerNormalization, MatMul/Softmax attention with Reshape/Transpose,
Erf-based GELU, GroupNorm (as InstanceNormalization + Reshape), SiLU (Sigmoid * x), Sin/Cos
timestep embedding, strided Conv down-sampling, nearest Resize up-sampling, skip Concat.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .tokenizer import MAX_LENGTH, VOCAB

TEXT_WIDTH = 64
LATENT_CHANNELS = 4


def silu(x: torch.Tensor) -> torch.Tensor:
    # Written out so the export is Sigmoid + Mul on every opset.
    return x * torch.sigmoid(x)


class Attention(nn.Module):
    """Multi-head attention; context None = self-attention (SD's CrossAttention)."""

    def __init__(self, dim: int, context_dim: int | None, heads: int):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        kv_dim = dim if context_dim is None else context_dim
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(kv_dim, dim, bias=False)
        self.to_v = nn.Linear(kv_dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.reshape(b, n, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None, mask: torch.Tensor | None = None):
        ctx = x if context is None else context
        q, k, v = self._split(self.to_q(x)), self._split(self.to_k(ctx)), self._split(self.to_v(ctx))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        if mask is not None:
            scores = scores + mask
        out = torch.matmul(scores.softmax(dim=-1), v)
        b, _, n, _ = out.shape
        return self.to_out(out.transpose(1, 2).reshape(b, n, self.heads * self.head_dim))


# ----------------------------------------------------------------------------------------------
# Text encoder (CLIP-like: token + position embeddings, causal pre-LN transformer, final LayerNorm)


class TextLayer(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = Attention(width, None, heads)
        self.ln2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 2 * width)
        self.fc2 = nn.Linear(2 * width, width)

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask=mask)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TextEncoder(nn.Module):
    def __init__(self, width: int = TEXT_WIDTH, layers: int = 2, heads: int = 2):
        super().__init__()
        self.token_embedding = nn.Embedding(len(VOCAB), width)
        self.position_embedding = nn.Parameter(torch.randn(MAX_LENGTH, width) * 0.02)
        self.layers = nn.ModuleList([TextLayer(width, heads) for _ in range(layers)])
        self.final_ln = nn.LayerNorm(width)
        # CLIP's causal mask; a large finite negative instead of -inf keeps the softmax (and any
        # gradient through it) free of NaN.
        causal = torch.triu(torch.full((MAX_LENGTH, MAX_LENGTH), -1e4), diagonal=1)
        self.register_buffer("causal_mask", causal, persistent=False)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.token_embedding(input_ids) + self.position_embedding
        for layer in self.layers:
            x = layer(x, self.causal_mask)
        return self.final_ln(x)


# ----------------------------------------------------------------------------------------------
# UNet (SD's UNet2DConditionModel at a tiny scale)


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding as diffusers' get_timestep_embedding (flip_sin_to_cos, shift 0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.to(torch.float32)[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb_dim: int, groups: int = 8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb_proj = nn.Linear(temb_dim, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(silu(self.norm1(x)))
        h = h + self.temb_proj(silu(temb))[:, :, None, None]
        h = self.conv2(silu(self.norm2(h)))
        return h + (x if self.skip is None else self.skip(x))


class GEGLU(nn.Module):
    def __init__(self, dim: int, inner: int):
        super().__init__()
        self.proj = nn.Linear(dim, 2 * inner)

    def forward(self, x):
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class SpatialTransformer(nn.Module):
    """GroupNorm, 1x1 proj_in, [self-attn, cross-attn, GEGLU feed-forward] with LayerNorms, proj_out."""

    def __init__(self, channels: int, context_dim: int, heads: int = 2, groups: int = 8):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.proj_in = nn.Conv2d(channels, channels, 1)
        self.ln1 = nn.LayerNorm(channels)
        self.attn1 = Attention(channels, None, heads)
        self.ln2 = nn.LayerNorm(channels)
        self.attn2 = Attention(channels, context_dim, heads)
        self.ln3 = nn.LayerNorm(channels)
        self.ff_in = GEGLU(channels, 2 * channels)
        self.ff_out = nn.Linear(2 * channels, channels)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x))
        y = y.reshape(b, c, h * w).transpose(1, 2)
        y = y + self.attn1(self.ln1(y))
        y = y + self.attn2(self.ln2(y), context)
        y = y + self.ff_out(self.ff_in(self.ln3(y)))
        y = y.transpose(1, 2).reshape(b, c, h, w)
        return x + self.proj_out(y)


class UNet(nn.Module):
    """8x8 -> 4x4 -> 8x8 with skip connections; epsilon prediction."""

    def __init__(self, c0: int = 32, c1: int = 64, temb_dim: int = 128, context_dim: int = TEXT_WIDTH):
        super().__init__()
        self.c0 = c0
        self.time_in = nn.Linear(c0, temb_dim)
        self.time_out = nn.Linear(temb_dim, temb_dim)
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c0, 3, padding=1)
        self.down0_res = ResBlock(c0, c0, temb_dim)
        self.downsample = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.down1_res = ResBlock(c0, c1, temb_dim)
        self.down1_attn = SpatialTransformer(c1, context_dim)
        self.mid_res = ResBlock(c1, c1, temb_dim)
        self.mid_attn = SpatialTransformer(c1, context_dim)
        self.up1_res = ResBlock(c1 + c1, c1, temb_dim)
        self.up1_attn = SpatialTransformer(c1, context_dim)
        self.upsample_conv = nn.Conv2d(c1, c0, 3, padding=1)
        self.up0_res = ResBlock(c0 + c0, c0, temb_dim)
        self.up0_attn = SpatialTransformer(c0, context_dim)
        self.norm_out = nn.GroupNorm(8, c0)
        self.conv_out = nn.Conv2d(c0, LATENT_CHANNELS, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        ctx = encoder_hidden_states
        temb = self.time_out(silu(self.time_in(timestep_embedding(timestep, self.c0))))
        h = self.conv_in(sample)
        skip8 = self.down0_res(h, temb)
        skip4 = self.down1_attn(self.down1_res(self.downsample(skip8), temb), ctx)
        h = self.mid_attn(self.mid_res(skip4, temb), ctx)
        h = self.up1_attn(self.up1_res(torch.cat([h, skip4], 1), temb), ctx)
        h = self.upsample_conv(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = self.up0_attn(self.up0_res(torch.cat([h, skip8], 1), temb), ctx)
        return self.conv_out(silu(self.norm_out(h)))


# ----------------------------------------------------------------------------------------------
# VAE (AutoencoderKL-shaped: 64x64x3 <-> 8x8x4, GroupNorm + SiLU ResBlocks, nearest up-sampling)


class VaeRes(nn.Module):
    def __init__(self, c: int, groups: int = 8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c)
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(silu(self.norm2(self.conv1(silu(self.norm1(x))))))


class VaeEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        # 4x4 patchify first: the 64x64 stage is what makes a VAE expensive to train on a CPU.
        self.patch_in = nn.Conv2d(3, 32, 4, stride=4)  # 16x16
        self.res16 = VaeRes(32)
        self.down = nn.Conv2d(32, 64, 3, stride=2, padding=1)  # 8x8
        self.res8 = VaeRes(64)
        self.norm_out = nn.GroupNorm(8, 64)
        self.conv_out = nn.Conv2d(64, 2 * LATENT_CHANNELS, 3, padding=1)

    def moments(self, x):
        h = self.res16(self.patch_in(x))
        h = self.res8(self.down(silu(h)))
        moments = self.conv_out(silu(self.norm_out(h)))
        # Constant slices (not chunk) so the exported output keeps its static dims [batch, 4, 8, 8].
        mean = moments[:, :LATENT_CHANNELS]
        logvar = moments[:, LATENT_CHANNELS:]
        return mean, logvar.clamp(-20.0, 10.0)

    def forward(self, sample):
        return self.moments(sample)[0]


class VaeDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, 64, 3, padding=1)
        self.res8 = VaeRes(64)
        self.up16 = nn.Conv2d(64, 32, 3, padding=1)
        self.res16 = VaeRes(32)
        self.unpatch = nn.ConvTranspose2d(32, 16, 4, stride=4)  # 64x64
        self.norm_out = nn.GroupNorm(8, 16)
        self.conv_out = nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.res8(self.conv_in(latent_sample))
        h = self.res16(self.up16(F.interpolate(h, scale_factor=2.0, mode="nearest")))
        h = self.unpatch(silu(h))
        return self.conv_out(silu(self.norm_out(h)))


# ----------------------------------------------------------------------------------------------
# Classifier: image in [-1,1] -> concatenated logits of three heads (shape | colour | background)


class Classifier(nn.Module):
    """Besides RGB, a fourth input channel: squared distance of every pixel to the colour of the
    image's 2-pixel frame (the background). Shape then no longer has to be learned separately for
    each of the 30 colour pairs; with BatchNorm the shape head trains in a few hundred steps
    instead of thousands."""

    def __init__(self, head_sizes: tuple[int, ...]):
        super().__init__()
        layers: list[nn.Module] = []
        for cin, cout in ((4, 16), (16, 32), (32, 64), (64, 64)):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(64, sum(head_sizes))

    def forward(self, image):
        x = image
        frame = (
            x[:, :, :2, :].mean(dim=(2, 3))
            + x[:, :, -2:, :].mean(dim=(2, 3))
            + x[:, :, :, :2].mean(dim=(2, 3))
            + x[:, :, :, -2:].mean(dim=(2, 3))
        ) * 0.25
        diff = x - frame[:, :, None, None]
        h = torch.cat([x, (diff * diff).sum(dim=1, keepdim=True)], dim=1)
        return self.head(self.features(h).mean(dim=(2, 3)))


def param_count(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
