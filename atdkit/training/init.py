"""Where a fresh run's weights start: an AnimeInterp checkpoint, and/or RAFT-style weights for RFR.

* ``init``: a whole AnimeInterp checkpoint in the official format (the released
  ``anime_interp_full.ckpt`` or a phase-1 run's ``final.ckpt``), loaded key for key.
* ``rfr_init``: RAFT-style flow weights (e.g. ``raft-sintel.pth``, keys ``module.fnet.…``)
  for the RFR flow network, as the official constructor loads ``rfr_sintel_latest.pth``
  with ``strict=False``: here every tensor whose name and shape match RFR's is loaded and
  the counts of loaded, missing and unused tensors are said in one line, never silently.
"""

from __future__ import annotations

import sys
from pathlib import Path

from atdkit.errors import WeightsMismatch
from atdkit.methods.animeinterp.checkpoint import load_checkpoint
from atdkit.methods.animeinterp.model import AnimeInterpNet
from atdkit.weights.checkpoint import read_state_dict


def load_rfr_init(net: AnimeInterpNet, path: str | Path) -> tuple[int, int, int]:
    """Load the matching tensors of a RAFT-style state dict into ``net.flownet``.
    Returns (loaded, missing, unused); refuses a file of which no tensor matches."""
    tensors = read_state_dict(path, "module.", prefix_required=False)
    own = net.flownet.state_dict()
    matching = {k: v for k, v in tensors.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
    if not matching:
        raise WeightsMismatch(f"{path}: no tensor matches RFR's names and shapes (expected RAFT-style "
                              f"keys such as {next(iter(own))!r})")
    net.flownet.load_state_dict(matching, strict=False)
    counts = (len(matching), len(own) - len(matching), len(tensors) - len(matching))
    print(f"{path}: RFR initialised with {counts[0]} tensors; {counts[1]} of RFR's not in the file "
          f"(kept at their initialisation), {counts[2]} of the file's unused", file=sys.stderr)
    return counts


def load_initial_weights(net: AnimeInterpNet, init: str | Path | None, rfr_init: str | Path | None) -> None:
    if init is not None:
        load_checkpoint(net, init)
    if rfr_init is not None:
        load_rfr_init(net, rfr_init)
