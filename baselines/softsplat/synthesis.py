"""The synthesis network of SoftSplat's released ``lf`` model, in pure PyTorch.

For frames I1, I2 (normalised), their flows F12, F21 and a time t:

1. ``encode``: a three-level feature pyramid per frame (32, 64, 96 channels; the first level is
   the frame concatenated with its 32 features, 35 channels).
2. ``softmetric``: the importance metric Z of each frame, a small GridNet (rows of 16, 32, 64,
   96 channels, one column down and one up) fed with 12 features of the frame and 4 of its
   brightness-constancy error (the mean over channels of |pyramid₁ − pyramid₂ warped back by
   F12|, first level); Z1 is scaled by 2t and Z2 by 2(1 − t).
3. ``warp``: per level, each frame's features with Z appended are softmax-splatted
   (:func:`~atdkit.ops.splatting.splat_softmax`, importance −Z clipped to [−20, 20]) along
   t·F12 and (1 − t)·F21 (flows and metrics resized bilinearly level to level, flows scaled
   by the width ratio); both are concatenated and reduced by a residual block.
4. A GridNet of three rows (32, 64, 96 channels) and six columns, the first three
   downsampling and the last three upsampling, turns the warped pyramid into the frame.

Blocks (:class:`Basic`, :func:`downsample`, :func:`upsample`) use 3×3 convolutions without bias
and per-channel PReLUs (0.25 initially); a grid upsampling that overshoots an odd size by a pixel
is cropped at the bottom/right. The module names follow the official ones (``0x0 - 1x0``: row 0
column 0 to row 1 column 0), so the state dict maps onto the released file by renaming only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.ops.splatting import splat_softmax
from atdkit.baselines.softsplat.flow import backwarp, resize_flow

METRIC_CLIP = 20.0  # the importance is clipped to ±20 before the exponential


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class Basic(nn.Module):
    """A residual block: PReLU, conv, PReLU, conv (``pre_activation``) or conv, PReLU, conv,
    plus the input (through a 1×1 convolution, ``shortcut``, when the widths differ)."""

    def __init__(self, cin: int, width: int, cout: int, pre_activation: bool) -> None:
        super().__init__()
        layers = [nn.PReLU(cin, 0.25)] if pre_activation else []
        layers += [_conv(cin, width), nn.PReLU(width, 0.25), _conv(width, cout)]
        self.main = nn.Sequential(*layers)
        self.shortcut = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + (x if self.shortcut is None else self.shortcut(x))


def downsample(cin: int, cout: int) -> nn.Module:
    """PReLU, stride-2 conv, PReLU, conv (wrapped so the names read ``main.N``)."""
    return _Main(nn.PReLU(cin, 0.25), _conv(cin, cout, 2), nn.PReLU(cout, 0.25), _conv(cout, cout))


def upsample(cin: int, cout: int) -> nn.Module:
    """×2 bilinear (``align_corners=False``), PReLU, conv, PReLU, conv."""
    return _Main(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.PReLU(cin, 0.25),
                 _conv(cin, cout), nn.PReLU(cout, 0.25), _conv(cout, cout))


class _Main(nn.Module):
    def __init__(self, *layers: nn.Module) -> None:
        super().__init__()
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


def _crop_to(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return x[:, :, :like.shape[2], :like.shape[3]]


class Grid(nn.Module):
    """A GridNet: rows of ``widths`` channels (row r at 1/2^r resolution) and ``columns`` columns;
    lateral residual blocks between neighbouring columns, downsampling between rows in the first
    half of the columns, upsampling in the second half. Subclasses add the heads and the output."""

    def __init__(self, widths: tuple[int, ...], columns: int) -> None:
        super().__init__()
        self.rows, self.columns = len(widths), columns
        for c in range(1, columns):
            for r, width in enumerate(widths):
                self.add_module(f"{r}x{c - 1} - {r}x{c}", Basic(width, width, width, pre_activation=True))
        for c in range(columns // 2):
            for r in range(1, self.rows):
                self.add_module(f"{r - 1}x{c} - {r}x{c}", downsample(widths[r - 1], widths[r]))
        for c in range(columns // 2, columns):
            for r in range(self.rows - 1):
                self.add_module(f"{r + 1}x{c} - {r}x{c}", upsample(widths[r + 1], widths[r]))

    def _block(self, name: str) -> nn.Module:
        return self._modules[name]

    def run_grid(self, inputs: list[torch.Tensor | None]) -> torch.Tensor:
        """Row inputs of column 0 (None: the row starts from the row above only) → row 0 of the last column."""
        column: list[torch.Tensor] = []
        for r, x in enumerate(inputs):
            if r > 0:
                down = self._block(f"{r - 1}x0 - {r}x0")(column[r - 1])
                x = down if x is None else x + down
            column.append(x)
        for c in range(1, self.columns):
            downward = c < self.columns // 2
            for r in (range(self.rows) if downward else reversed(range(self.rows))):
                column[r] = self._block(f"{r}x{c - 1} - {r}x{c}")(column[r])
                if downward and r > 0:
                    column[r] = column[r] + self._block(f"{r - 1}x{c} - {r}x{c}")(column[r - 1])
                elif not downward and r < self.rows - 1:
                    column[r] = column[r] + _crop_to(self._block(f"{r + 1}x{c} - {r}x{c}")(column[r + 1]), column[r])
        return column[0]


class Encoder(nn.Module):
    """Three levels (32, 64, 96 channels, the last two at stride 2) of two convs with PReLU each."""

    def __init__(self) -> None:
        super().__init__()
        self.one = nn.Sequential(_conv(3, 32), nn.PReLU(32, 0.25), _conv(32, 32), nn.PReLU(32, 0.25))
        self.two = nn.Sequential(_conv(32, 64, 2), nn.PReLU(64, 0.25), _conv(64, 64), nn.PReLU(64, 0.25))
        self.thr = nn.Sequential(_conv(64, 96, 2), nn.PReLU(96, 0.25), _conv(96, 96), nn.PReLU(96, 0.25))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        one = self.one(x)
        two = self.two(one)
        return [torch.cat([x, one], 1), two, self.thr(two)]


class Softmetric(Grid):
    """The importance metric Z (B, 1, H, W) of the first pyramid given the flow to the second."""

    def __init__(self) -> None:
        super().__init__((16, 32, 64, 96), columns=2)
        self.input = nn.Conv2d(3, 12, 3, padding=1, bias=False)
        self.error = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.output = Basic(16, 16, 1, pre_activation=False)

    def forward(self, pyramid_one: list[torch.Tensor], pyramid_two: list[torch.Tensor],
                flow: torch.Tensor) -> torch.Tensor:
        error = (pyramid_one[0] - backwarp(pyramid_two[0], flow)).abs().mean(1, keepdim=True)
        first = torch.cat([self.input(pyramid_one[0][:, :3]), self.error(error)], 1)
        return self.output(self.run_grid([first] + [None] * (self.rows - 1)))


class Warp(nn.Module):
    """Softmax-splats both pyramids to time t and fuses each level with a residual block."""

    def __init__(self) -> None:
        super().__init__()
        self.one = Basic(2 * (35 + 1), 32, 32, pre_activation=False)
        self.two = Basic(2 * (64 + 1), 64, 64, pre_activation=False)
        self.thr = Basic(2 * (96 + 1), 96, 96, pre_activation=False)

    def forward(self, pyramid_one: list[torch.Tensor], pyramid_two: list[torch.Tensor], metric_one: torch.Tensor,
                metric_two: torch.Tensor, flow_one: torch.Tensor, flow_two: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for level, fuse in enumerate((self.one, self.two, self.thr)):
            if level > 0:
                size = pyramid_one[level].shape[2:]
                metric_one = F.interpolate(metric_one, size=size, mode="bilinear", align_corners=False)
                metric_two = F.interpolate(metric_two, size=size, mode="bilinear", align_corners=False)
                flow_one, flow_two = resize_flow(flow_one, size), resize_flow(flow_two, size)
            out.append(fuse(torch.cat([splat_with_metric(pyramid_one[level], metric_one, flow_one),
                                       splat_with_metric(pyramid_two[level], metric_two, flow_two)], 1)))
        return out


def splat_with_metric(features: torch.Tensor, metric: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Features with their metric appended, softmax-splatted with importance −metric (clipped)."""
    importance = (-metric).clamp(-METRIC_CLIP, METRIC_CLIP)
    return splat_softmax(torch.cat([features, metric], 1), flow, importance)


class Synthesis(Grid):
    """The frame at ``t`` (normalised) from the normalised frames and both flows."""

    def __init__(self) -> None:
        super().__init__((32, 64, 96), columns=6)
        self.encode = Encoder()
        self.softmetric = Softmetric()
        self.warp = Warp()
        self.output = Basic(32, 32, 3, pre_activation=False)

    def forward(self, one: torch.Tensor, two: torch.Tensor, forward: torch.Tensor, backward: torch.Tensor,
                t: float) -> torch.Tensor:
        pyramid_one, pyramid_two = self.encode(one), self.encode(two)
        metric_one = self.softmetric(pyramid_one, pyramid_two, forward) * 2.0 * t
        metric_two = self.softmetric(pyramid_two, pyramid_one, backward) * 2.0 * (1.0 - t)
        warped = self.warp(pyramid_one, pyramid_two, metric_one, metric_two, forward * t, backward * (1.0 - t))
        return self.output(self.run_grid(warped))
