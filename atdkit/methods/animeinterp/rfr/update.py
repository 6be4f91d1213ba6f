"""RFR's update block: RAFT's BasicUpdateBlock (``update_block.*``).

Motion encoder on (correlation, flow) → 128 channels; separable ConvGRU
(1×5 then 5×1) with hidden 128 on [context 128, motion 128]; flow head
(3×3 128→256, ReLU, 3×3 256→2); upsampling-mask head (3×3 128→256, ReLU,
1×1 256→576) scaled by 0.25.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from atdkit.methods.animeinterp.layout import channels_last


class MotionEncoder(nn.Module):
    def __init__(self, corr_channels: int = 324):
        super().__init__()
        self.convc1 = nn.Conv2d(corr_channels, 256, 1)
        self.convc2 = nn.Conv2d(256, 192, 3, padding=1)
        self.convf1 = nn.Conv2d(2, 128, 7, padding=3)
        self.convf2 = nn.Conv2d(128, 64, 3, padding=1)
        self.conv = nn.Conv2d(64 + 192, 128 - 2, 3, padding=1)

    def forward(self, flow: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
        cor = F.relu(self.convc2(F.relu(self.convc1(corr))))
        flo = F.relu(self.convf2(F.relu(self.convf1(flow))))
        out = F.relu(self.conv(torch.cat([cor, flo], 1)))
        return torch.cat([out, flow], 1)


class SepConvGRU(nn.Module):
    """Separable ConvGRU: a 1×5 pass then a 5×1 pass, each z, r = σ(conv[h, x]), q = tanh(conv[r·h, x]),
    h ← (1 − z)·h + z·q, with x = [context, motion] (parameters as RAFT's: ``convz1`` … ``convq2``
    take the 384 channels [h, context, motion]).

    The context is the same at every iteration and a convolution is linear in
    its input channels, so the context's share of each gate (plus the bias) is
    computed once by :meth:`context_terms` and added at every step; only h and
    the motion features are convolved per iteration (and z, r in one call).
    Equal to the concatenated convolutions up to float summation order (tests).
    """

    def __init__(self, hidden: int = 128, context: int = 128, motion: int = 128):
        super().__init__()
        c = hidden + context + motion
        self.hidden, self.context = hidden, context
        self.convz1 = nn.Conv2d(c, hidden, (1, 5), padding=(0, 2))
        self.convr1 = nn.Conv2d(c, hidden, (1, 5), padding=(0, 2))
        self.convq1 = nn.Conv2d(c, hidden, (1, 5), padding=(0, 2))
        self.convz2 = nn.Conv2d(c, hidden, (5, 1), padding=(2, 0))
        self.convr2 = nn.Conv2d(c, hidden, (5, 1), padding=(2, 0))
        self.convq2 = nn.Conv2d(c, hidden, (5, 1), padding=(2, 0))

    def _passes(self):
        return ((self.convz1, self.convr1, self.convq1), (self.convz2, self.convr2, self.convq2))

    def _context_weight(self, conv: nn.Conv2d) -> torch.Tensor:
        return conv.weight[:, self.hidden:self.hidden + self.context]

    def _state_weight(self, conv: nn.Conv2d) -> torch.Tensor:
        """Weights of the [h, motion] channels."""
        w = conv.weight
        return torch.cat([w[:, :self.hidden], w[:, self.hidden + self.context:]], 1)

    def context_terms(self, context: torch.Tensor) -> list[torch.Tensor]:
        """Per pass: (B, 3·hidden, H, W) = conv_context(context) + bias for z, r, q."""
        terms = []
        for convs in self._passes():
            weight = torch.cat([self._context_weight(c) for c in convs], 0)
            bias = torch.cat([c.bias for c in convs], 0)
            terms.append(F.conv2d(context, weight, bias, padding=convs[0].padding))
        return terms

    def forward(self, h: torch.Tensor, motion: torch.Tensor, terms: list[torch.Tensor]) -> torch.Tensor:
        n = self.hidden
        for (convz, convr, convq), term in zip(self._passes(), terms):
            zr_weight = torch.cat([self._state_weight(convz), self._state_weight(convr)], 0)
            zr = torch.sigmoid(F.conv2d(torch.cat([h, motion], 1), zr_weight, padding=convz.padding) + term[:, :2 * n])
            z, r = zr[:, :n], zr[:, n:]
            q = torch.tanh(F.conv2d(torch.cat([r * h, motion], 1), self._state_weight(convq), padding=convq.padding)
                           + term[:, 2 * n:])
            h = (1 - z) * h + z * q
        return h


class FlowHead(nn.Module):
    def __init__(self, inputs: int = 128, hidden: int = 256):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, hidden, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden, 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(F.relu(self.conv1(x)))


class BasicUpdateBlock(nn.Module):
    def __init__(self, corr_channels: int = 324, hidden: int = 128, context: int = 128):
        super().__init__()
        self.encoder = MotionEncoder(corr_channels)
        self.gru = SepConvGRU(hidden, context, 128)
        self.flow_head = FlowHead(hidden, 256)
        self.mask = nn.Sequential(nn.Conv2d(hidden, 256, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(256, 64 * 9, 1))

    def context_terms(self, inp: torch.Tensor) -> list[torch.Tensor]:
        """The context's fixed contribution to the GRU gates (compute once per image pair)."""
        return self.gru.context_terms(channels_last(inp))

    def forward(self, net, terms, corr, flow, with_mask: bool = True):
        """One iteration from the hidden state, :meth:`context_terms`, correlation and flow.

        → (new hidden state, 0.25·upsampling mask logits (B,576,h,w) or None, Δflow (B,2,h,w)).
        The mask only matters for the final upsampling, so callers skip it
        (``with_mask=False``) on all but the last iteration.
        """
        # channels-last (NHWC) convolutions are the fastest on CPU; the values are the same
        motion = self.encoder(channels_last(flow), channels_last(corr))
        net = self.gru(channels_last(net), motion, terms)
        mask = (0.25 * self.mask(net)).contiguous() if with_mask else None
        return net, mask, self.flow_head(net).contiguous()
