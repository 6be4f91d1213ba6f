"""Super SloMo (Jiang et al., CVPR 2018) as trained by avinashpaliwal/Super-SloMo, in pure PyTorch.

Two U-Nets of the same shape: ``flow`` (6 → 4 channels: F01 and F10 from the two frames) and
``interp`` (20 → 5: flow residuals and a visibility logit at time t). For frames I0, I1
(B, 3, H, W, already minus the training mean, H and W multiples of :data:`SIZE_MULTIPLE`)
and any t in [0, 1]:

1. F01, F10 = flow(I0, I1); the intermediate flows are the paper's quadratic approximation
   Ft0 = −(1−t)·t·F01 + t²·F10 and Ft1 = (1−t)²·F01 − t·(1−t)·F10.
2. interp(I0, I1, F01, F10, Ft1, Ft0, I1 warped by Ft1, I0 warped by Ft0) gives residuals
   ΔFt0, ΔFt1 and the visibility V0 = σ(logit), V1 = 1 − V0.
3. The frame is ((1−t)·V0·I0(Ft0+ΔFt0) + t·V1·I1(Ft1+ΔFt1)) / ((1−t)·V0 + t·V1).

Warping is the repository's ``backWarp`` (:func:`~atdkit.ops.warp.backward_warp` with the
``superslomo`` grid); ``align_corners=True`` is the behaviour of PyTorch 0.4.1, with which the
weights were trained (``False`` is what the official script does on PyTorch ≥ 1.3).
Parameter names equal the released checkpoint's (``conv1``, ``down1.conv1``, ``up1.conv2`` …).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.ops.warp import backward_warp

SIZE_MULTIPLE = 32  # five 2× poolings, and the skip connections must line up
TRAINING_MEAN = (0.429, 0.431, 0.397)  # per-channel mean subtracted from the RGB inputs in training
SLOPE = 0.1  # leaky ReLU negative slope


def _act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, negative_slope=SLOPE)


class Down(nn.Module):
    """2× average pooling, then two convolutions of size ``k`` with leaky ReLU."""

    def __init__(self, cin: int, cout: int, k: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, k, padding=(k - 1) // 2)
        self.conv2 = nn.Conv2d(cout, cout, k, padding=(k - 1) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.avg_pool2d(x, 2)
        return _act(self.conv2(_act(self.conv1(x))))


class Up(nn.Module):
    """2× bilinear upsampling (align_corners=False, PyTorch's default since 0.4), a 3×3
    convolution, then a 3×3 convolution of it concatenated with the skip connection."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(2 * cout, cout, 3, padding=1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = _act(self.conv1(x))
        return _act(self.conv2(torch.cat((x, skip), 1)))


class UNet(nn.Module):
    """The U-Net of both stages: two 7×7 convolutions, five Down, five Up, a 3×3 head
    (leaky ReLU on the output too, as released)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, 32, 7, padding=3)
        self.conv2 = nn.Conv2d(32, 32, 7, padding=3)
        self.down1, self.down2, self.down3 = Down(32, 64, 5), Down(64, 128, 3), Down(128, 256, 3)
        self.down4, self.down5 = Down(256, 512, 3), Down(512, 512, 3)
        self.up1, self.up2, self.up3 = Up(512, 512), Up(512, 256), Up(256, 128)
        self.up4, self.up5 = Up(128, 64), Up(64, 32)
        self.conv3 = nn.Conv2d(32, cout, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_features(x)[0]

    def forward_with_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(output, the last decoder block's 32 features), the pair QVI's flow-filtering U-Net returns."""
        s1 = _act(self.conv2(_act(self.conv1(x))))
        s2 = self.down1(s1)
        s3 = self.down2(s2)
        s4 = self.down3(s3)
        s5 = self.down4(s4)
        x = self.down5(s5)
        for up, skip in ((self.up1, s5), (self.up2, s4), (self.up3, s3), (self.up4, s2), (self.up5, s1)):
            x = up(x, skip)
        return _act(self.conv3(x)), x


def intermediate_flows(f01: torch.Tensor, f10: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(Ft0, Ft1): the flows from time t to frames 0 and 1, assuming linear motion (paper eq. 4)."""
    cross = -t * (1 - t)
    return cross * f01 + t * t * f10, (1 - t) * (1 - t) * f01 + cross * f10


class SuperSloMoNet(nn.Module):
    """Flow computation (``flow``, released as ``state_dictFC``) and arbitrary-time flow
    interpolation (``interp``, released as ``state_dictAT``)."""

    def __init__(self, align_corners: bool = True) -> None:
        super().__init__()
        self.flow = UNet(6, 4)
        self.interp = UNet(20, 5)
        self.align_corners = align_corners

    def warp(self, img: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        return backward_warp(img, flow, align_corners=self.align_corners, padding_mode="zeros",
                             convention="superslomo")

    def forward(self, i0: torch.Tensor, i1: torch.Tensor, t: float) -> torch.Tensor:
        """The frame at ``t`` for mean-subtracted frames ``i0``, ``i1`` (also mean-subtracted)."""
        flows = self.flow(torch.cat((i0, i1), 1))
        f01, f10 = flows[:, :2], flows[:, 2:]
        ft0, ft1 = intermediate_flows(f01, f10, t)
        g0, g1 = self.warp(i0, ft0), self.warp(i1, ft1)
        out = self.interp(torch.cat((i0, i1, f01, f10, ft1, ft0, g1, g0), 1))
        ft0 = out[:, :2] + ft0
        ft1 = out[:, 2:4] + ft1
        v0 = torch.sigmoid(out[:, 4:5])
        v1 = 1 - v0
        w0, w1 = 1 - t, t
        return (w0 * v0 * self.warp(i0, ft0) + w1 * v1 * self.warp(i1, ft1)) / (w0 * v0 + w1 * v1)
