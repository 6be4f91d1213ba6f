"""``qvi``: quadratic video interpolation, loading xuxy09/QVI's released ``model.pt``.

The release is two files: ``model.pt`` (the whole QVI network, PWC-Net included, saved from
``nn.DataParallel``: ``{'model_state_dict': {'module.flownet…', 'module.refinenet…',
'module.masknet…'}}``, other entries ignored) and ``pwc-checkpoint.pt`` (PWC-Net alone, which
the official constructor loads and ``model.pt`` then overwrites), so only ``model.pt`` is read.

Input protocol: QVI needs frames t−1, t0, t1, t2. On a mined dataset the outer frames come from
the film at the triplet's stride (:mod:`atdkit.baselines.qvi.outer_frames`); where there are
none (ATD-12K and other plain triplet imports, triplets at a film's ends) QVI runs its own
linear-motion case, as the official demo does at a sequence's ends. :meth:`QVI.provenance`
names the input of the last interpolation, and the bench runner records it with each row
(``{"input": "4 frames (outer frames from the film)"}`` or ``"2 frames, linear motion: <why>"``).
``outer_frames=none`` always runs the linear case.

Frames go in as RGB in [0, 1] minus the training mean, zero-padded on the right and bottom to
a multiple of 32 (the official demo resizes to 854×480 instead), and the prediction is cropped back.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from atdkit import weights as weights_registry
from atdkit.methods.base import Interpolator, Option, TripletContext
from atdkit.weights import WeightsSpec
from atdkit.weights.checkpoint import load_exact
from atdkit.baselines.padded_net import check_pair, pad_to_multiple, to_frame, to_tensor
from atdkit.baselines.qvi.model import SIZE_MULTIPLE, TRAINING_MEAN, QVINet
from atdkit.baselines.qvi.outer_frames import FilmFrames

QVI_WEIGHTS = WeightsSpec(
    name="qvi",
    filename="model.pt",
    description="QVI network (PWC-Net, flow-filtering U-Net, mask net) trained on QVI-960 (xuxy09/QVI README, "
                "'Download pretrained model', a Dropbox file; put it anywhere and pass --weights qvi=PATH); "
                "sha256 not known here (the file could not be downloaded when this was written)",
    license="no licence stated in xuxy09/QVI (research code; ask the authors before redistributing)",
    url="https://www.dropbox.com/s/5auirpk1tijxo1v/model.pt?dl=1",
    format="torch checkpoint dict: the DataParallel QVI state dict under model_state_dict ('module.' prefix)",
)
FOUR_FRAMES = "4 frames (outer frames from the film)"


def load_qvi(path: str | os.PathLike, device: torch.device | str = "cpu", align_corners: bool = False) -> QVINet:
    """An eval-mode :class:`QVINet` with ``path`` loaded key-for-key."""
    net = QVINet(align_corners=align_corners)
    load_exact(net, path, "module.", container_key="model_state_dict",
               hint="expected xuxy09/QVI's qvi_release/model.pt")
    return net.eval().to(device)


class QVI(Interpolator):
    name = "qvi"
    license = "no licence stated (xuxy09/QVI)"
    description = ("QVI (Xu et al. 2019), xuxy09/QVI's checkpoint; outer frames from the film on mined data, "
                   "linear motion without them; any t")
    weights = (QVI_WEIGHTS,)
    options = (Option("outer_frames", str, "film", ("film", "none"),
                      "film: frames t-1 and t2 from the triplet's film where the dataset has them; none: always "
                      "the two-frame linear case"),
               Option("align_corners", bool, False, (),
                      "grid sampling as on PyTorch 1.5.1, which the release pins (true: as on PyTorch < 1.3)"))

    def __init__(self, device: str = "cpu", weights: str | os.PathLike | None = None, outer_frames: str = "film",
                 align_corners: bool = False, net: QVINet | None = None) -> None:
        """``weights``: explicit file (else the registry's resolution); ``net``: an already built network."""
        super().__init__(device=device)
        if net is None:
            net = load_qvi(weights_registry.resolve(self.weights[0], override=weights), device, align_corners)
        self.net = net.eval().to(device)
        self.net.align_corners = align_corners
        self.pad_multiple = SIZE_MULTIPLE
        self.mean = torch.tensor(TRAINING_MEAN, device=device).view(1, 3, 1, 1)
        self.use_film = outer_frames == "film"
        self.films = FilmFrames()
        self.last_input = "none yet"

    def provenance(self) -> dict[str, str]:
        return {"input": self.last_input}

    def _prepare(self, frame: np.ndarray) -> torch.Tensor:
        return pad_to_multiple(to_tensor(frame, self.device), self.pad_multiple) - self.mean

    @torch.inference_mode()
    def interpolate(self, frame1: np.ndarray, frame3: np.ndarray, t: float = 0.5, *,
                    context: TripletContext | None = None) -> np.ndarray:
        check_pair(frame1, frame3, t)
        h, w = frame1.shape[:2]
        outer = self.films.get(context, (w, h)) if self.use_film else None
        i1, i2 = self._prepare(frame1), self._prepare(frame3)
        if outer is not None and outer.frames is not None:
            i0, i3 = (self._prepare(f) for f in outer.frames)
            self.last_input = FOUR_FRAMES
        else:
            i0 = i3 = None
            self.last_input = "2 frames, linear motion: " + (outer.why if outer is not None else "outer_frames=none")
        return to_frame(self.net(i0, i1, i2, i3, float(t)) + self.mean, h, w)
