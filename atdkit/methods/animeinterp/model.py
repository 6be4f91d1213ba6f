"""The AnimeInterp network: RFR flows, feature pyramid, average forward splatting, GridNet.

``AnimeInterpNet`` has exactly the 220 parameters of the released checkpoint
(names ``flownet.*``, ``feat_ext.*``, ``synnet.*``; the file prefixes them
with ``module.``). Its forward follows the official ``AnimeInterp.forward``:

1. inputs RGB in [0, 1]; the feature pyramid and RFR see (I − 0.5)/0.5;
2. F12 = RFR(I1, I2, init F12i), F21 = RFR(I2, I1, init F21i), 12 iterations
   (computed together by :meth:`RFR.bidirectional`);
3. F1t = t·F12, F2t = (1 − t)·F21 (linear motion, any t in [0, 1]);
4. per feature level the flows are nearest-resized and rescaled;
5. the *un-normalised* images and the features are average-splatted (holes 0);
6. GridNet synthesises the frame; no output activation (clamp for evaluation).

Speed (same numbers up to float rounding, see the tests): the feature pyramid
and GridNet get channels-last inputs, the layout oneDNN's CPU convolutions are fastest with
(GridNet ≈ 30 % less CPU time at 960×540).

H and W must be multiples of 4 (GridNet); RFR handles the multiple of 8 itself.
"""

from __future__ import annotations

import torch
from torch import nn

from atdkit.methods.animeinterp.layout import channels_last
from atdkit.methods.animeinterp.rfr import RFR
from atdkit.methods.animeinterp.rfr.rfr import resize_flow_nearest
from atdkit.nn.feature_pyramid import FeaturePyramid
from atdkit.nn.gridnet import GridNet
from atdkit.ops.splatting import splat_average

RFR_ITERS = 12


class AnimeInterpNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.flownet = RFR()
        self.feat_ext = FeaturePyramid(3, (32, 64, 96))
        self.synnet = GridNet(6, 64, 128, 192, 3)

    def forward(self, img1: torch.Tensor, img2: torch.Tensor, flow12_init: torch.Tensor | None,
                flow21_init: torch.Tensor | None, t: float = 0.5):
        """Frame at ``t`` from (B,3,H,W) RGB in [0, 1] and SGM flows (B,2,h,w) pixels (or None).

        Returns ``(frame (B,3,H,W) unclamped, F12, F21, F12 init at 1/8, F21 init at 1/8)``.
        """
        h, w = img1.shape[2:]
        if h % 4 or w % 4:
            raise ValueError(f"AnimeInterpNet needs H and W divisible by 4, got {h}×{w}")
        norm1, norm2 = (img1 - 0.5) / 0.5, (img2 - 0.5) / 0.5
        # flows first, features second (the official order is the reverse): the same numbers,
        # but the full-resolution features are not held while the correlation volume exists
        flow12, flow21, init12, init21 = self.flownet.bidirectional(norm1, norm2, flow12_init, flow21_init, RFR_ITERS)
        flow1t, flow2t = t * flow12, (1 - t) * flow21
        # splat level by level and drop what is done: full-resolution features are large
        # GridNet inputs are made channels-last one at a time (no second copy of all of them)
        inputs = [channels_last(torch.cat([splat_average(img1, flow1t), splat_average(img2, flow2t)], 1))]
        feats1, feats2 = self.feat_ext(channels_last(norm1)), self.feat_ext(channels_last(norm2))
        for level in range(3):
            f1, f2 = feats1[level], feats2[level]
            size = f1.shape[2:]
            inputs.append(channels_last(torch.cat([splat_average(f1, resize_flow_nearest(flow1t, size)),
                                                   splat_average(f2, resize_flow_nearest(flow2t, size))], 1)))
        del feats1, feats2, f1, f2
        frame = self.synnet(*inputs)
        return frame, flow12, flow21, init12, init21
