"""What the learned baselines share: frame ↔ tensor conversion, padding, and
:class:`PaddedNetInterpolator`, the interpolate() of a network that takes padded frames.

Frames are H×W×3 ``uint8`` RGB (the :class:`~atdkit.methods.base.Interpolator`
contract); tensors are (1, 3, H, W) ``float32`` in [0, 1]. Padding adds zeros on the
right and bottom (as the released wrappers do) and :func:`to_frame` crops it away.
"""

from __future__ import annotations

import abc

import numpy as np
import torch
import torch.nn.functional as F

from atdkit.errors import BadInput
from atdkit.methods.base import Interpolator, TripletContext


def check_pair(frame1: np.ndarray, frame3: np.ndarray, t: float) -> None:
    """Raise :class:`BadInput` unless both frames are equal-size H×W×3 uint8 and 0 ≤ t ≤ 1."""
    for name, f in (("frame1", frame1), ("frame3", frame3)):
        if f.ndim != 3 or f.shape[2] != 3 or f.dtype != np.uint8:
            raise BadInput(f"{name}: expected an H×W×3 uint8 RGB frame, got shape {f.shape} dtype {f.dtype}")
    if frame1.shape != frame3.shape:
        raise BadInput(f"frames differ in size: {frame1.shape} vs {frame3.shape}")
    if not 0.0 <= float(t) <= 1.0:
        raise BadInput(f"t must be within [0, 1], got {t}")


def to_tensor(frame: np.ndarray, device: torch.device | str) -> torch.Tensor:
    """H×W×3 uint8 → (1, 3, H, W) float32 in [0, 1] on ``device``."""
    return torch.tensor(frame, device=device).permute(2, 0, 1)[None].float() / 255.0  # a copy: inputs may be read-only


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Zero-pad (B, C, H, W) on the right/bottom so that H and W are multiples of ``multiple``."""
    h, w = x.shape[-2:]
    ph, pw = -h % multiple, -w % multiple
    return F.pad(x, (0, pw, 0, ph)) if ph or pw else x


def to_frame(x: torch.Tensor, height: int, width: int) -> np.ndarray:
    """(1, 3, H', W') tensor → the top-left ``height``×``width`` crop as H×W×3 float32 in [0, 1]."""
    out = x[0, :, :height, :width].clamp(0, 1).permute(1, 2, 0)
    return out.detach().to("cpu", torch.float32).numpy().copy()


def time_plane(t: float, like: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) tensor filled with ``t``, the time input of the networks."""
    return like.new_full((like.shape[0], 1, *like.shape[2:]), float(t))


def resize_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Resize (B, C, H, W) bilinearly (align_corners=False) up to the next multiples of ``multiple``."""
    h, w = x.shape[-2:]
    size = (-(-h // multiple) * multiple, -(-w // multiple) * multiple)
    return x if size == (h, w) else F.interpolate(x, size, mode="bilinear", align_corners=False)


class PaddedNetInterpolator(Interpolator):
    """An interpolator around a network that takes (1, 3, H, W) frames in [0, 1], padded to
    ``self.pad_multiple``, and a time plane; subclasses implement :meth:`run_net`.
    With ``resize_to_fit`` the frames are resized to those multiples instead (and the output
    resized back), as some released wrappers do."""

    pad_multiple: int
    resize_to_fit: bool = False

    @abc.abstractmethod
    def run_net(self, img0: torch.Tensor, img1: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        """The network's (1, 3, H', W') prediction for padded inputs."""

    @torch.inference_mode()
    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float = 0.5, *,
                    context: TripletContext | None = None) -> np.ndarray:
        check_pair(frame1, frame3, t)
        h, w = frame1.shape[:2]
        fit = resize_to_multiple if self.resize_to_fit else pad_to_multiple
        img0 = fit(to_tensor(frame1, self.device), self.pad_multiple)
        img1 = fit(to_tensor(frame3, self.device), self.pad_multiple)
        out = self.run_net(img0, img1, time_plane(t, img0))
        if self.resize_to_fit and out.shape[-2:] != (h, w):
            out = F.interpolate(out, (h, w), mode="bilinear", align_corners=False)
        return to_frame(out, h, w)
