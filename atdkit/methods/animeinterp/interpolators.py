"""The registered methods: ``animeinterp`` (the released model) and ``animeinterp-sgm`` (training-free).

Both take SGM flows from the dataset root when the call has a
:class:`~atdkit.methods.base.TripletContext` (computing and caching them
there when absent), and compute them on the fly otherwise.
"""

from __future__ import annotations

import json

import os

import cv2
import numpy as np
import torch

from atdkit.errors import BadInput
from atdkit.methods.animeinterp.checkpoint import load_checkpoint
from atdkit.methods.animeinterp.flows import ensure_flows, resize_flow
from atdkit.ops.resize import resize_lanczos
from atdkit.methods.animeinterp.model import AnimeInterpNet
from atdkit.methods.animeinterp.sgm import OFFICIAL_SIZE, SGM
from atdkit.methods.animeinterp.sgm.descriptors import PRECISIONS
from atdkit.methods.animeinterp.sgm.labelmap import STYLES
from atdkit.methods.base import Interpolator, Option, TripletContext
from atdkit.ops.optical_flow import dis_flow
from atdkit.ops.splatting import splat_average
from atdkit.store.dataset import DatasetRoot
from atdkit.weights import WeightsSpec

MIN_SIDE = 64

ANIMEINTERP_WEIGHTS = WeightsSpec(
    name="animeinterp-full",
    filename="anime_interp_full.ckpt",
    description="AnimeInterp full model (RFR + feature extractor + GridNet), official release",
    license="MIT (lisiyao21/AnimeInterp)",
    url="https://www.dropbox.com/s/oc8juclx1775qib/anime_interp_full.ckpt?dl=1",
    format="torch checkpoint, state dict under model_state_dict, keys prefixed module.",
)


def as_rgb(frame: np.ndarray, what: str = "frame") -> np.ndarray:
    """H×W gray, H×W×1, H×W×3 or H×W×4 (alpha dropped) uint8 → H×W×3 uint8 RGB."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8:
        raise BadInput(f"{what}: expected uint8 pixels, got {frame.dtype}")
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 1):
        return np.repeat(frame.reshape(frame.shape[0], frame.shape[1], 1), 3, axis=2)
    if frame.ndim == 3 and frame.shape[2] in (3, 4):
        return np.ascontiguousarray(frame[..., :3])
    raise BadInput(f"{what}: expected an H×W, H×W×3 or H×W×4 image, got shape {frame.shape}")


SGM_PRECISION = Option("sgm_precision", str, "float32", tuple(PRECISIONS),
                       "number type of SGM's VGG-19 forward: float32 (official) or bfloat16 (faster, flows may differ)")


def _pair(frame1: np.ndarray, frame3: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = as_rgb(frame1, "frame1"), as_rgb(frame3, "frame3")
    if a.shape != b.shape:
        raise BadInput(f"frame1 {a.shape[1]}×{a.shape[0]} and frame3 {b.shape[1]}×{b.shape[0]} differ in size")
    if min(a.shape[:2]) < 8:
        raise BadInput(f"frames of {a.shape[1]}×{a.shape[0]} are too small (at least 8×8)")
    return a, b


class _SGMFlows:
    """Shared SGM-flow access: cached in the dataset root when there is a context."""

    def __init__(self, vgg, style: str, sgm_size, sgm_precision: str = "float32"):
        self._settings = (vgg, style, sgm_size, sgm_precision)
        self._sgm: SGM | None = None

    @property
    def sgm(self) -> SGM:
        if self._sgm is None:
            vgg, style, size, precision = self._settings
            self._sgm = SGM(vgg=vgg, style=style, size=size, vgg_precision=precision)
        return self._sgm

    def provenance(self) -> dict[str, str]:
        """The SGM configuration whose flows this method uses (descriptor and its weights' sha256,
        line style, size): recorded with every results row, so official and fallback flows never mix."""
        return {f"sgm_{k}": json.dumps(v) if isinstance(v, list) else str(v) for k, v in self.sgm.settings.items()}

    def flows(self, frame1, frame3, context: TripletContext | None) -> tuple[np.ndarray, np.ndarray]:
        if context is not None and context.root is not None and context.triplet_id is not None:
            return ensure_flows(DatasetRoot(context.root), context.triplet_id, self.sgm)
        result = self.sgm(frame1, frame3)
        return result.flow13, result.flow31


class AnimeInterp(_SGMFlows, Interpolator):
    """The released AnimeInterp (SGM → RFR → splatting → GridNet) with ``anime_interp_full.ckpt``.

    ``working_size`` (width, height): frames are Lanczos-resized to it as the
    official test loader does (960×540; a no-op for 960×540 frames) and the
    result is resized back; ``None`` runs at the input size, replicate-padded
    to a multiple of 4 and at least 64 px (RFR's 4-level pyramid at 1/8). ``use_sgm=False`` runs RFR without an initial flow.
    """

    name = "animeinterp"
    license = "MIT (lisiyao21/AnimeInterp); RFR derived from RAFT (BSD-3-Clause)"
    description = "AnimeInterp (Li Siyao et al., CVPR 2021): SGM-initialised RFR flow, forward splatting, GridNet"
    weights = (ANIMEINTERP_WEIGHTS,)
    options = (Option("style", str, "disney", tuple(sorted(STYLES)), "SGM line-extraction parameters"),
               Option("use_sgm", bool, True, (), "initialise RFR with SGM flows"), SGM_PRECISION)

    def __init__(self, device: str = "cpu", weights: str | os.PathLike | None = None, vgg="auto",
                 style: str = "disney", working_size: tuple[int, int] | None = OFFICIAL_SIZE,
                 sgm_size: tuple[int, int] | None = OFFICIAL_SIZE, use_sgm: bool = True,
                 net: AnimeInterpNet | None = None, sgm_precision: str = "float32"):
        Interpolator.__init__(self, device)
        _SGMFlows.__init__(self, vgg, style, sgm_size, sgm_precision)
        if net is None:
            from atdkit import weights as registry

            net = load_checkpoint(AnimeInterpNet(), registry.resolve("animeinterp-full", override=weights))
        self.net = net.eval().to(device)
        self.working_size = working_size
        self.use_sgm = use_sgm

    def provenance(self) -> dict[str, str]:
        return super().provenance() if self.use_sgm else {}

    def _to_working(self, frame: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        h, w = frame.shape[:2]
        if self.working_size is not None:
            return resize_lanczos(frame, self.working_size), (0, 0, 0, 0)
        pad_h, pad_w = max(-h % 4, MIN_SIDE - h), max(-w % 4, MIN_SIDE - w)  # RFR's pyramid needs ≥ 64 px
        return np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge"), (0, pad_h, 0, pad_w)

    @torch.inference_mode()
    def interpolate(self, frame1, frame3, t: float = 0.5, *, context: TripletContext | None = None) -> np.ndarray:
        frame1, frame3 = _pair(frame1, frame3)
        h, w = frame1.shape[:2]
        work1, pad = self._to_working(frame1)
        work3, _ = self._to_working(frame3)
        wh, ww = work1.shape[:2]
        inits: list[torch.Tensor | None] = [None, None]
        if self.use_sgm:
            flows = self.flows(frame1, frame3, context)
            inits = [torch.from_numpy(resize_flow(f, ww, wh))[None].to(self.device) for f in flows]

        def tensor(a: np.ndarray) -> torch.Tensor:  # torch.tensor copies: the frames may be read-only
            return torch.tensor(a, device=self.device).permute(2, 0, 1)[None].float().div(255.0)

        out = self.net(tensor(work1), tensor(work3), inits[0], inits[1], float(t))[0]
        image = out.clamp(0, 1)[0].permute(1, 2, 0).cpu().numpy()
        image = image[: wh - pad[1], : ww - pad[3]]
        if image.shape[:2] != (h, w):
            image = np.clip(cv2.resize(image, (w, h), interpolation=cv2.INTER_LANCZOS4), 0, 1)
        return np.ascontiguousarray(image, dtype=np.float32)


class AnimeInterpSGM(_SGMFlows, Interpolator):
    """Training-free: SGM flows refined by DIS (initialised from them), average splatting both ways, blending."""

    name = "animeinterp-sgm"
    license = "MIT (atdkit); SGM after lisiyao21/AnimeInterp (MIT)"
    description = "SGM guidance flow refined by DIS, bidirectional forward splatting and blending (no learned weights)"
    options = (Option("style", str, "disney", tuple(sorted(STYLES)), "SGM line-extraction parameters"), SGM_PRECISION)

    def __init__(self, device: str = "cpu", vgg="auto", style: str = "disney",
                 sgm_size: tuple[int, int] | None = OFFICIAL_SIZE, sgm_precision: str = "float32"):
        Interpolator.__init__(self, device)
        _SGMFlows.__init__(self, vgg, style, sgm_size, sgm_precision)

    def interpolate(self, frame1, frame3, t: float = 0.5, *, context: TripletContext | None = None) -> np.ndarray:
        frame1, frame3 = _pair(frame1, frame3)
        h, w = frame1.shape[:2]
        f13, f31 = (resize_flow(f, w, h) for f in self.flows(frame1, frame3, context))
        f13 = dis_flow(frame1, frame3, "medium", init=f13.transpose(1, 2, 0))
        f31 = dis_flow(frame3, frame1, "medium", init=f31.transpose(1, 2, 0))
        img1 = torch.from_numpy(frame1).permute(2, 0, 1)[None].float() / 255.0
        img3 = torch.from_numpy(frame3).permute(2, 0, 1)[None].float() / 255.0
        ones = torch.ones(1, 1, h, w)
        flow1 = torch.from_numpy(f13).permute(2, 0, 1)[None] * t
        flow3 = torch.from_numpy(f31).permute(2, 0, 1)[None] * (1 - t)
        warped1 = splat_average(torch.cat([img1, ones], 1), flow1)
        warped3 = splat_average(torch.cat([img3, ones], 1), flow3)
        w1 = (1 - t) * warped1[:, 3:]
        w3 = t * warped3[:, 3:]
        total = w1 + w3
        blended = (w1 * warped1[:, :3] + w3 * warped3[:, :3]) / total.clamp(min=1e-12)
        fallback = (1 - t) * img1 + t * img3
        out = torch.where(total > 0, blended, fallback)
        return out[0].permute(1, 2, 0).clamp(0, 1).numpy().astype(np.float32)
