"""Per-segment descriptors for SGM matching.

``VGGDescriptor``: the official one (SPEC §4.1 step 3). ImageNet-normalised
RGB through VGG-19 up to relu4_1; relu1_1, relu2_1, relu3_1 and relu4_1 are
mean-pooled over each segment (the label map subsampled with ``[1::2, 1::2]``
once, twice, three times for the coarser levels) and concatenated into a
960-dim vector. The weights come from a torchvision-format file
(``features.N.weight`` / ``.bias``), read with ``torch.load(weights_only=True)``:
torchvision itself is not needed.

Precision: float32 by default (the official arithmetic). ``precision="bfloat16"`` runs the
forward with bfloat16 weights and activations (oneDNN's AVX-512 BF16 convolutions accumulate in
float32; about half the CPU time on CPUs with AVX512_BF16) and pools the features in float32; the
features then differ from float32 by ≈ 0.5 % and so, on some pairs, do the matches and flows
(``benchmarks/sgm.py --flow-check``: equal on every cartoon pair checked, not on some 3-D ones). It is opt-in and named in the descriptor's ``name``
(``vgg19-bfloat16``), hence in the SGM settings, the flows cache and every results row.

``ColourShapeDescriptor``: the weight-free fallback used when no VGG file is
available. Per segment: three 16-bin colour histograms (R, G, B; weight 3/4)
and an 8-bin histogram of the pixels' distances from the segment centroid in
units of its RMS radius (a scale-free shape signature; weight 1/4). It is not
the official descriptor; matching quality differs and callers log it.

Both describe the frames of a pair in one call (the VGG one runs one batched forward)
and return a (D, K) float32 tensor per frame, one column per segment id 0..K−1, that
:func:`normalise` turns into non-negative columns summing to 1.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from atdkit.errors import WeightsMismatch, WeightsMissing

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# torchvision vgg19.features up to relu4_1: (index, in, out) of each conv; 'M' = 2×2 max pool
VGG19_TO_RELU4_1 = [(0, 3, 64), (2, 64, 64), "M", (5, 64, 128), (7, 128, 128), "M",
                    (10, 128, 256), (12, 256, 256), (14, 256, 256), (16, 256, 256), "M", (19, 256, 512)]
TAPS = {0: "relu1_1", 5: "relu2_1", 10: "relu3_1", 19: "relu4_1"}
PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16}  # of the VGG forward; float32 is official


class VGG19Features(nn.Module):
    """VGG-19 ``features[0:21]`` with the torchvision parameter names (``features.N.*``)."""

    def __init__(self):
        super().__init__()
        layers: dict[str, nn.Module] = {}
        index = 0
        for spec in VGG19_TO_RELU4_1:
            if spec == "M":
                layers[str(index)] = nn.MaxPool2d(2, 2)
                index += 1
                continue
            i, cin, cout = spec
            layers[str(i)] = nn.Conv2d(cin, cout, 3, padding=1)
            layers[str(i + 1)] = nn.ReLU(inplace=True)  # on the conv's own output: saves a pass
            index = i + 2
        self.features = nn.Sequential()
        for name, layer in layers.items():
            self.features.add_module(name, layer)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B,3,H,W) normalised RGB → [relu1_1, relu2_1, relu3_1, relu4_1]."""
        out = []
        for name, layer in self.features.named_children():
            x = layer(x)
            if isinstance(layer, nn.ReLU) and int(name) - 1 in TAPS:
                out.append(x)
        return out


def load_vgg19(path: str | os.PathLike) -> VGG19Features:
    """Load the needed ``features.*`` tensors of a torchvision VGG-19 file; other keys are ignored."""
    path = Path(path)
    if not path.is_file():
        raise WeightsMissing(f"{path}: VGG-19 weights not found; run `atdkit weights fetch vgg19` or pass another file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsMismatch(f"{path}: not a readable torch file ({str(exc).splitlines()[0][:120]}); "
                              "expected torchvision's vgg19-dcbb9e9d.pth") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    model = VGG19Features()
    wanted = model.state_dict()
    if not isinstance(state, dict):
        raise WeightsMismatch(f"{path}: not a state dict; expected torchvision's vgg19-dcbb9e9d.pth")
    missing = [k for k in wanted if k not in state]
    wrong = [k for k in wanted if k in state and tuple(state[k].shape) != tuple(wanted[k].shape)]
    if missing or wrong:
        what = f"missing {missing[:2]}" if missing else f"wrong shape for {wrong[:2]}"
        raise WeightsMismatch(f"{path}: not VGG-19 features ({what}); expected torchvision's vgg19-dcbb9e9d.pth")
    model.load_state_dict({k: state[k] for k in wanted}, strict=True)
    return model.eval().requires_grad_(False)


POOL_ROWS = 1 << 16  # pixels per chunk of segment_means: a float32 copy of a chunk stays small and is reused


def segment_means(values: torch.Tensor, labels: np.ndarray, n_segments: int) -> torch.Tensor:
    """(C, *S) values averaged per label of an S-shaped map → (C, K) float32; absent labels give 0 (scatter_mean).

    S is H×W for one image, or B×H×W for a batch whose label maps number their segments apart.
    Sums whole pixel rows (∏S, C) into (K, C): a view of channels-last values (what the VGG
    features are) and about 10× faster than adding per channel, with the same per-element
    summation order (pixels in raster order), so the same numbers (tests). Values of another
    type (bfloat16) are summed in float32, converted chunk by chunk in that same order (the
    same sums as converting them all first, without a full-size float32 copy).
    """
    c = values.shape[0]
    index = torch.from_numpy(np.ascontiguousarray(labels).reshape(-1)).long()
    rows = values.movedim(0, -1).reshape(-1, c)
    sums = torch.zeros(n_segments, c, device=values.device)
    if rows.dtype == sums.dtype:
        sums.index_add_(0, index, rows)
    else:
        for start in range(0, len(rows), POOL_ROWS):
            sums.index_add_(0, index[start:start + POOL_ROWS], rows[start:start + POOL_ROWS].float())
    counts = torch.bincount(index, minlength=n_segments).clamp_(min=1).to(sums.dtype)
    return (sums / counts[:, None]).t()


def normalise(desc: torch.Tensor) -> torch.Tensor:
    """Per column: subtract the minimum over dims, divide by the sum (official normalisation)."""
    shifted = desc - desc.min(dim=0).values
    return shifted / shifted.sum(dim=0)


class VGGDescriptor:
    """The official descriptor for the frames of a pair at once.

    One VGG-19 forward for the batch of both frames (channels-last: oneDNN's fast convolutions;
    the network stops at relu4_1, the deepest layer SGM pools), then, per level, one row-wise
    scatter-mean over both frames' pixels (frame b's segment ids offset by the segments before it).
    Each segment's pixels are summed in raster order as in a per-frame, per-channel scatter-mean,
    so the pooling adds nothing to the convolutions' float32 rounding (tests compare it with a plain
    NCHW, one-frame-per-call restatement on a real cartoon pair).

    ``precision``: a key of :data:`PRECISIONS`, the number type of the forward (weights and
    activations; see the module's docstring). The pooling is float32 either way.
    """

    def __init__(self, model: VGG19Features, device: str = "cpu", sha256: str | None = None,
                 precision: str = "float32"):
        if precision not in PRECISIONS:
            raise ValueError(f"unknown VGG precision {precision!r}; choose from {sorted(PRECISIONS)}")
        self.dtype = PRECISIONS[precision]
        if self.dtype != torch.float32:  # a converted copy: the caller's float32 model stays as it is
            model = copy.deepcopy(model).to(self.dtype)
        self.model = model.to(device)
        self.device = device
        self.precision = precision
        self.sha256 = sha256  # of the weights file the model came from (the flows cache's key)

    @property
    def name(self) -> str:
        """``vgg19`` (float32, the official descriptor) or ``vgg19-<precision>``: recorded with the flows."""
        return "vgg19" if self.precision == "float32" else f"vgg19-{self.precision}"

    @torch.inference_mode()
    def __call__(self, images: Sequence[np.ndarray], labels: Sequence[np.ndarray],
                 n_segments: Sequence[int]) -> list[torch.Tensor]:
        """H×W×3 uint8 RGB frames of one size, their H×W label maps and segment counts → a (960, K) float32 tensor each."""
        rgb = torch.from_numpy(np.stack(images)).to(self.device).permute(0, 3, 1, 2).float() / 255.0
        mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=self.device).view(1, 3, 1, 1)
        x = ((rgb - mean) / std).to(self.dtype).contiguous(memory_format=torch.channels_last)
        feats = self.model(x)
        offsets = np.cumsum([0, *n_segments])
        level_labels = np.stack(labels) + offsets[:-1, None, None]  # B×H×W, ids apart across frames
        pooled = []
        for level, feat in enumerate(feats):
            if level:
                level_labels = level_labels[:, 1::2, 1::2]
            pooled.append(segment_means(feat.cpu().transpose(0, 1), level_labels, int(offsets[-1])))
        both = torch.cat(pooled, 0)
        return [both[:, a:b] for a, b in zip(offsets[:-1], offsets[1:])]


class ColourShapeDescriptor:
    name = "colour-shape"
    COLOUR_BINS = 16
    SHAPE_BINS = 8

    def __call__(self, images: Sequence[np.ndarray], labels: Sequence[np.ndarray],
                 n_segments: Sequence[int]) -> list[torch.Tensor]:
        """Like :class:`VGGDescriptor`: frames, their label maps and segment counts → a (56, K) tensor each."""
        return [self.one(*args) for args in zip(images, labels, n_segments)]

    def one(self, image: np.ndarray, labels: np.ndarray, n_segments: int) -> torch.Tensor:
        flat = labels.reshape(-1)
        counts = np.bincount(flat, minlength=n_segments).astype(np.float64)
        safe = np.maximum(counts, 1)
        parts = []
        for c in range(3):
            bins = image[..., c].reshape(-1).astype(np.int64) * self.COLOUR_BINS // 256
            hist = np.bincount(flat * self.COLOUR_BINS + bins, minlength=n_segments * self.COLOUR_BINS)
            parts.append(0.25 * hist.reshape(n_segments, self.COLOUR_BINS) / safe[:, None])
        h, w = labels.shape
        ys, xs = np.divmod(np.arange(h * w), w)
        cx = np.bincount(flat, xs, n_segments) / safe
        cy = np.bincount(flat, ys, n_segments) / safe
        d2 = (xs - cx[flat]) ** 2 + (ys - cy[flat]) ** 2
        rms = np.sqrt(np.bincount(flat, d2, n_segments) / safe)
        rel = np.sqrt(d2) / np.maximum(rms[flat], 1e-6)
        bins = np.minimum((rel / 2.5 * self.SHAPE_BINS).astype(np.int64), self.SHAPE_BINS - 1)
        shape = np.bincount(flat * self.SHAPE_BINS + bins, minlength=n_segments * self.SHAPE_BINS)
        parts.append(0.25 * shape.reshape(n_segments, self.SHAPE_BINS) / safe[:, None])
        return torch.from_numpy(np.concatenate(parts, 1).T.astype(np.float32))

