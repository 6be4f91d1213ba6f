"""GridNet synthesis network (Niklaus & Liu 2018), in the reduced form AnimeInterp uses.

Three rows at full, 1/2 and 1/4 resolution with ``widths`` channels (AnimeInterp:
32, 64, 96); four inputs, one per row plus an extra full-resolution one:

    X00 = head(x) + head1(x1)           X10 = down10(X00) + head2(x2)
    X20 = down20(X10) + head3(x3)
    X01 = res01(X00) + X00              X11 = res11(X10) + X10 + down11(X01)
    X21 = res21(X20) + X20 + down21(X11)
    X24 = res24(X21) + X21              X25 = res25(X24) + X24
    X14 = up14(X24) + res14(X11) + X11  X04 = up04(X14) + res04(X01) + X01
    X15 = up15(X25) + res15(X14) + X14  X05 = up05(X15) + res05(X04) + X04
    out = tail(X05)                      (no output activation, no skip)

Blocks (3×3 convs, padding 1, single-parameter PReLUs): residual = PReLU,
conv, PReLU, conv (the skip is added outside); downsample = the same with a
stride-2 first conv; upsample = ×2 bilinear (align_corners=False), PReLU,
conv, PReLU, conv. Module names equal the official ones, so a state dict
``synnet.*`` maps 1:1 (``residual_model_head.1.weight`` …). H and W must be
multiples of 4.

GMFSS-union's fusion net (``fusionnet_*.pkl``) is this GridNet with two
additions, enabled by options: a fifth input through ``residual_model_head4``
added to X00 (``extra_head_channels``), and a pixel-shuffle tail that outputs at
twice the resolution (``tail="pixelshuffle"``: conv + PReLU, conv to 4× channels +
PixelShuffle(2), conv). GMFSS Fortuna's (widths 64, 128, 192) also learns its
upsampling (``upsample="transposed"``: PReLU, 4×4 stride-2 transposed conv, PReLU,
conv) and, in its union variant, names the first head ``residual_model_head0``
(``first_head``).
"""

from __future__ import annotations

import torch
from torch import nn


def residual_block(cin: int, cout: int) -> nn.Sequential:
    """PReLU, conv3×3 (cin→cout), PReLU, conv3×3 (cout→cout); no internal skip."""
    return nn.Sequential(nn.PReLU(), nn.Conv2d(cin, cout, 3, padding=1), nn.PReLU(), nn.Conv2d(cout, cout, 3, padding=1))


def downsample_block(cin: int, cout: int) -> nn.Sequential:
    """PReLU, stride-2 conv3×3 (cin→cout), PReLU, conv3×3."""
    return nn.Sequential(nn.PReLU(), nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.PReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1))


def upsample_block(cin: int, cout: int) -> nn.Sequential:
    """×2 bilinear upsampling (align_corners=False), PReLU, conv3×3 (cin→cout), PReLU, conv3×3."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.PReLU(),
                         nn.Conv2d(cin, cout, 3, padding=1), nn.PReLU(), nn.Conv2d(cout, cout, 3, padding=1))


def transposed_upsample_block(cin: int, cout: int) -> nn.Sequential:
    """PReLU, 4×4 stride-2 transposed conv (cin→cout, padding 1: exactly ×2), PReLU, conv3×3."""
    return nn.Sequential(nn.PReLU(), nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1), nn.PReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1))


UPSAMPLE_BLOCKS = {"bilinear": upsample_block, "transposed": transposed_upsample_block}


class PixelShuffleTail(nn.Module):
    """conv3×3 + PReLU, conv3×3 to 4× channels + PixelShuffle(2), conv3×3 → (out, 2H, 2W)."""

    def __init__(self, cin: int, width: int, cout: int):
        super().__init__()
        self.conv_before_upsample = nn.Sequential(nn.Conv2d(cin, width, 3, padding=1), nn.PReLU())
        self.upsample = nn.Sequential(nn.Conv2d(width, 4 * width, 3, padding=1), nn.PixelShuffle(2))
        self.conv_last = nn.Conv2d(width, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_last(self.upsample(self.conv_before_upsample(x)))


class GridNet(nn.Module):
    """Reduced 3-row GridNet; ``GridNet(6, 64, 128, 192, 3)`` is AnimeInterp's ``synnet``.

    ``in_channels``/``in_channels1`` feed row 0 (full resolution), ``in_channels2``
    row 1 (1/2), ``in_channels3`` row 2 (1/4); ``widths`` are the row widths;
    ``upsample``: ``"bilinear"`` or ``"transposed"`` (see the module notes);
    ``first_head``: the name the head of ``in_channels`` is registered under.
    """

    def __init__(self, in_channels: int, in_channels1: int, in_channels2: int, in_channels3: int,
                 out_channels: int, widths: tuple[int, int, int] = (32, 64, 96),
                 extra_head_channels: int = 0, tail: str = "residual", upsample: str = "bilinear",
                 first_head: str = "residual_model_head"):
        super().__init__()
        if tail not in ("residual", "pixelshuffle"):
            raise ValueError(f"tail must be 'residual' or 'pixelshuffle', got {tail!r}")
        if upsample not in UPSAMPLE_BLOCKS:
            raise ValueError(f"upsample must be one of {', '.join(UPSAMPLE_BLOCKS)}, got {upsample!r}")
        w0, w1, w2 = widths
        up = UPSAMPLE_BLOCKS[upsample]
        self.first_head = first_head
        # registration order = the official state_dict order
        setattr(self, first_head, residual_block(in_channels, w0))
        self.residual_model_head1 = residual_block(in_channels1, w0)
        if extra_head_channels:
            self.residual_model_head4 = residual_block(extra_head_channels, w0)
        self.residual_model_head2 = residual_block(in_channels2, w1)
        self.residual_model_head3 = residual_block(in_channels3, w2)
        self.residual_model_01 = residual_block(w0, w0)
        self.residual_model_04 = residual_block(w0, w0)
        self.residual_model_05 = residual_block(w0, w0)
        self.residual_model_tail = (residual_block(w0, out_channels) if tail == "residual"
                                    else PixelShuffleTail(w0, w0, out_channels))
        self.residual_model_11 = residual_block(w1, w1)
        self.residual_model_14 = residual_block(w1, w1)
        self.residual_model_15 = residual_block(w1, w1)
        self.residual_model_21 = residual_block(w2, w2)
        self.residual_model_24 = residual_block(w2, w2)
        self.residual_model_25 = residual_block(w2, w2)
        self.downsample_model_10 = downsample_block(w0, w1)
        self.downsample_model_20 = downsample_block(w1, w2)
        self.downsample_model_11 = downsample_block(w0, w1)
        self.downsample_model_21 = downsample_block(w1, w2)
        self.upsample_model_04 = up(w1, w0)
        self.upsample_model_14 = up(w2, w1)
        self.upsample_model_05 = up(w1, w0)
        self.upsample_model_15 = up(w2, w1)

    def forward(self, x: torch.Tensor, x1: torch.Tensor, x2: torch.Tensor, x3: torch.Tensor,
                x4: torch.Tensor | None = None) -> torch.Tensor:
        """``x4``: the extra row-0 input, required exactly when built with ``extra_head_channels``."""
        if (x4 is None) != (not hasattr(self, "residual_model_head4")):
            raise ValueError("GridNet: pass x4 exactly when the net has an extra head (extra_head_channels)")
        # intermediates are deleted after their last use: at full resolution each is large
        x00 = getattr(self, self.first_head)(x) + self.residual_model_head1(x1)
        if x4 is not None:
            x00 = x00 + self.residual_model_head4(x4)
        x01 = self.residual_model_01(x00) + x00
        x10 = self.downsample_model_10(x00) + self.residual_model_head2(x2)
        del x00
        x20 = self.downsample_model_20(x10) + self.residual_model_head3(x3)
        x11 = self.residual_model_11(x10) + x10 + self.downsample_model_11(x01)
        del x10
        x21 = self.residual_model_21(x20) + x20 + self.downsample_model_21(x11)
        del x20
        x24 = self.residual_model_24(x21) + x21
        del x21
        x25 = self.residual_model_25(x24) + x24
        x14 = self.upsample_model_14(x24) + (self.residual_model_14(x11) + x11)
        del x24, x11
        x04 = self.upsample_model_04(x14) + (self.residual_model_04(x01) + x01)
        del x01
        x15 = self.upsample_model_15(x25) + (self.residual_model_15(x14) + x14)
        del x25, x14
        x05 = self.upsample_model_05(x15) + (self.residual_model_05(x04) + x04)
        del x15, x04
        return self.residual_model_tail(x05)
