"""LPIPS, AlexNet-lin v0.1 (Zhang et al., CVPR 2018), our own implementation.

Network: inputs in [-1, 1] are scaled per channel, (x − shift) / scale with
shift = (−0.030, −0.088, −0.188) and scale = (0.458, 0.448, 0.450); AlexNet's
convolutional trunk (torchvision layout ``features.{0,3,6,8,10}``) gives five
ReLU outputs (64, 192, 384, 256, 256 channels); each is divided by its
per-pixel channel L2 norm (+1e-10); the squared difference of the two images'
normalised features goes through a 1×1 convolution without bias (``lin0..4``,
non-negative weights), is averaged over space, and the five layers are summed.

Weights come from two files through the weights registry
(:mod:`atdkit.weights.core`): the torchvision AlexNet checkpoint
(its ``classifier.*`` keys are unused and allowed; every ``features.*`` key
must be present with its exact shape) and the published ``alex.pth`` (exactly
the keys ``lin{i}.model.1.weight``). Missing files mean no LPIPS values
(:func:`load_lpips` returns None), never zeros.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn

from atdkit.errors import WeightsMismatch, WeightsMissing
from atdkit.weights import resolve
from atdkit.weights.core import LPIPS_BACKBONE, LPIPS_LINEAR

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
CHANNELS = (64, 192, 384, 256, 256)
# torchvision AlexNet conv layers: (index in features, in, out, kernel, stride, padding)
CONVS = ((0, 3, 64, 11, 4, 2), (3, 64, 192, 5, 1, 2), (6, 192, 384, 3, 1, 1),
         (8, 384, 256, 3, 1, 1), (10, 256, 256, 3, 1, 1))
EPS = 1e-10


def backbone_shapes() -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for idx, cin, cout, k, _, _ in CONVS:
        shapes[f"features.{idx}.weight"] = (cout, cin, k, k)
        shapes[f"features.{idx}.bias"] = (cout,)
    return shapes


def linear_shapes() -> dict[str, tuple[int, ...]]:
    return {f"lin{i}.model.1.weight": (1, c, 1, 1) for i, c in enumerate(CHANNELS)}


class LPIPSAlex(nn.Module):
    """LPIPS distance; ``forward(a, b)`` takes N×3×H×W tensors in [-1, 1] and returns N values."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1))
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1))
        self.convs = nn.ModuleList(nn.Conv2d(cin, cout, k, stride=s, padding=p) for _, cin, cout, k, s, p in CONVS)
        self.lins = nn.ModuleList(nn.Conv2d(c, 1, 1, bias=False) for c in CHANNELS)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The five ReLU outputs of AlexNet's trunk (max-pooling before conv 2 and conv 3)."""
        x = (x - self.shift) / self.scale
        out = []
        for i, conv in enumerate(self.convs):
            if i in (1, 2):
                x = self.pool(x)
            x = torch.relu(conv(x))
            out.append(x)
        return out

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return sum(layer_distance(fa, fb, lin.weight)
                   for fa, fb, lin in zip(self.features(a), self.features(b), self.lins))

    def load_weights(self, backbone: dict[str, torch.Tensor], linear: dict[str, torch.Tensor],
                     backbone_name: str = "backbone", linear_name: str = "linear") -> None:
        """Load a torchvision AlexNet state dict and an LPIPS ``alex.pth`` state dict, key for key."""
        _check(backbone, backbone_shapes(), backbone_name, allowed_extra="classifier.")
        _check(linear, linear_shapes(), linear_name, allowed_extra=None)
        with torch.no_grad():
            for conv, (idx, *_rest) in zip(self.convs, CONVS):
                conv.weight.copy_(backbone[f"features.{idx}.weight"])
                conv.bias.copy_(backbone[f"features.{idx}.bias"])
            for i, lin in enumerate(self.lins):
                lin.weight.copy_(linear[f"lin{i}.model.1.weight"])

    @torch.no_grad()
    def distance(self, pred: np.ndarray, truth: np.ndarray) -> float:
        """LPIPS between two H×W×3 float RGB images in [0, 1] (lower is more similar)."""
        device = self.shift.device
        a = torch.from_numpy(np.ascontiguousarray(pred, dtype=np.float32)).permute(2, 0, 1)[None].to(device)
        b = torch.from_numpy(np.ascontiguousarray(truth, dtype=np.float32)).permute(2, 0, 1)[None].to(device)
        return float(self(a * 2 - 1, b * 2 - 1)[0])


def layer_distance(fa: torch.Tensor, fb: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """One layer's term (N values): features N×C×H×W unit-normalised over channels (+1e-10),
    squared difference weighted by the 1×C×1×1 ``weight``, summed over channels, averaged over space."""
    na = fa / (torch.sqrt(torch.sum(fa * fa, dim=1, keepdim=True)) + EPS)
    nb = fb / (torch.sqrt(torch.sum(fb * fb, dim=1, keepdim=True)) + EPS)
    return torch.nn.functional.conv2d((na - nb) ** 2, weight).mean(dim=(1, 2, 3))


def _check(state: dict, expected: dict[str, tuple[int, ...]], name: str, allowed_extra: str | None) -> None:
    missing = [k for k in expected if k not in state]
    if missing:
        raise WeightsMismatch(f"{name}: missing keys {', '.join(missing[:4])}{' …' if len(missing) > 4 else ''}")
    wrong = [f"{k} {tuple(state[k].shape)}≠{v}" for k, v in expected.items() if tuple(state[k].shape) != v]
    if wrong:
        raise WeightsMismatch(f"{name}: wrong shapes {', '.join(wrong[:3])}")
    extra = [k for k in state if k not in expected and not (allowed_extra and k.startswith(allowed_extra))]
    if extra:
        raise WeightsMismatch(f"{name}: unexpected keys {', '.join(extra[:4])}")


def _read_state(path: os.PathLike) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsMismatch(f"{path}: not a readable PyTorch state dict ({type(exc).__name__})") from exc
    if not isinstance(state, dict):
        raise WeightsMismatch(f"{path}: expected a state dict, found {type(state).__name__}")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def weight_files():
    """The (backbone, linear) files resolved by the weights registry, or None when either is absent."""
    try:
        return resolve(LPIPS_BACKBONE), resolve(LPIPS_LINEAR)
    except WeightsMissing:
        return None


def from_files(backbone_path: os.PathLike, linear_path: os.PathLike, device: str = "cpu") -> LPIPSAlex:
    model = LPIPSAlex()
    model.load_weights(_read_state(backbone_path), _read_state(linear_path), str(backbone_path), str(linear_path))
    return model.eval().requires_grad_(False).to(device)


_CACHE: dict[tuple, LPIPSAlex] = {}


def load_lpips(device: str = "cpu") -> LPIPSAlex | None:
    """The LPIPS model from the registry's files (cached per process), or None when a file is absent."""
    files = weight_files()
    if files is None:
        return None
    key = (*map(str, files), device)
    if key not in _CACHE:
        _CACHE[key] = from_files(*files, device=device)
    return _CACHE[key]
