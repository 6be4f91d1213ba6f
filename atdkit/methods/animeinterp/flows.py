"""SGM flows as data: cached per triplet in the dataset root, in the official format.

``<root>/flows/<triplet_id>/guide_flo13.npy`` and ``guide_flo31.npy``: arrays
of shape (2, H, W), channel 0 = x, channel 1 = y, in pixels of the size they
were computed at (official: 960×540). atdkit writes float32 (the official
scripts wrote float64; both are read). Files are written atomically, so an
interrupted job leaves either both complete files or a triplet to redo.
``sgm.json`` beside them records how they were made (descriptor and the sha256
of its weights, line style, size — :attr:`SGM.settings` — or the folder they
were imported from). Computed flows are the cache of one SGM configuration:
flows that another configuration made, or whose record is missing, are computed
again with one line on stderr, never used silently. Imported flows (the
official pre-computed ones) are used as they are.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from atdkit.errors import BadInput
from atdkit.store import quarantine
from atdkit.store.atomic import atomic_path, write_text
from atdkit.store.dataset import DatasetRoot

FLOW13 = "guide_flo13.npy"
FLOW31 = "guide_flo31.npy"
PROVENANCE = "sgm.json"


def read_flow(path: str | os.PathLike) -> np.ndarray:
    """A guidance flow file → (2,H,W) float32; BadInput naming the file when it is not one."""
    path = Path(path)
    flow = quarantine.load_npy(path)  # a corrupt file in a root is moved aside
    if flow.ndim != 3 or flow.shape[0] != 2 or not np.issubdtype(flow.dtype, np.floating):
        raise quarantine.corrupt(path, f"expected a float (2, H, W) flow (x then y), got {flow.dtype} {flow.shape}")
    if not np.isfinite(flow).all():
        raise quarantine.corrupt(path, "flow contains NaN or infinite values")
    return flow.astype(np.float32, copy=False)


def write_flow(path: str | os.PathLike, flow: np.ndarray) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, np.asarray(flow, dtype=np.float32))
    return Path(path)


def flow_paths(root: DatasetRoot, triplet_id: str) -> tuple[Path, Path]:
    d = root.flows_dir(triplet_id)
    return d / FLOW13, d / FLOW31


def has_flows(root: DatasetRoot, triplet_id: str) -> bool:
    return all(p.is_file() for p in flow_paths(root, triplet_id))


def load_flows(root: DatasetRoot, triplet_id: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached (flow13, flow31) of a triplet, or None when not (fully) cached."""
    if not has_flows(root, triplet_id):
        return None
    p13, p31 = flow_paths(root, triplet_id)
    return read_flow(p13), read_flow(p31)


def save_flows(root: DatasetRoot, triplet_id: str, flow13: np.ndarray, flow31: np.ndarray,
               meta: dict | None = None) -> None:
    """Write both flows (and, when given, ``meta`` as ``sgm.json``) atomically. The record is written
    last: a kill in between leaves new flows under an older record, which reads as stale (computed
    again), never old flows under a new record."""
    p13, p31 = flow_paths(root, triplet_id)
    write_flow(p13, flow13)
    write_flow(p31, flow31)
    if meta is not None:
        write_text(p13.parent / PROVENANCE, json.dumps(meta, sort_keys=True) + "\n")


def provenance(root: DatasetRoot, triplet_id: str) -> dict | None:
    """How a triplet's cached flows were made (``sgm.json``), or None when unrecorded."""
    path = root.flows_dir(triplet_id) / PROVENANCE
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def stale_reason(root: DatasetRoot, triplet_id: str, settings: dict) -> str | None:
    """Why a triplet's cached flows are not those of an SGM with ``settings`` (None: they are,
    or they were imported). Absent flows are not stale: they are simply missing."""
    if not has_flows(root, triplet_id):
        return None
    made = provenance(root, triplet_id)
    if made is None:
        return "no record of how they were made"
    if made.get("source") == "imported":
        return None
    differ = sorted(k for k in settings if made.get(k) != settings[k])
    if differ:
        return "made with other SGM settings (" + ", ".join(f"{k} {made.get(k)!r}" for k in differ) + ")"
    return None


def ensure_flows(root: DatasetRoot, triplet_id: str, sgm=None) -> tuple[np.ndarray, np.ndarray]:
    """The flows of a triplet made by ``sgm`` (default settings if None): from the cache when it
    holds that configuration's (or imported) flows, else computed and cached."""
    if sgm is None:
        from atdkit.methods.animeinterp.sgm import SGM

        sgm = SGM()
    stale = stale_reason(root, triplet_id, sgm.settings)
    if stale is None:
        try:
            cached = load_flows(root, triplet_id)
        except quarantine.CorruptFile as exc:  # moved aside: computed again below
            quarantine.say_continuing(exc, "it (computing the flows again)")
            cached = None
        if cached is not None:
            return cached
    else:
        print(f"{root.flows_dir(triplet_id)}: cached SGM flows {stale}; computing them again", file=sys.stderr)
    frame1, _, frame3 = root.read_frames(triplet_id)
    result = sgm(frame1, frame3)
    save_flows(root, triplet_id, result.flow13, result.flow31, {"source": "computed", **sgm.settings})
    return result.flow13, result.flow31


def import_flows(source: str | os.PathLike, root: DatasetRoot, overwrite: bool = False) -> dict[str, str]:
    """Copy officially pre-computed flows (``<source>/<folder>/guide_flo{13,31}.npy``) into the root.

    A folder matches a triplet whose ``name`` (original folder name) or
    ``triplet_id`` equals it. Returns {triplet_id: status} with status
    ``imported``, ``kept`` (already cached, not overwritten) for every match;
    files are validated before copying.
    """
    source = Path(source)
    if not source.is_dir():
        raise BadInput(f"{source}: not a folder of SGM flows")
    triplets = root.triplets()
    by_folder: dict[str, str] = {}
    for row in triplets[["triplet_id", "name"]].itertuples(index=False):
        by_folder[str(row.triplet_id)] = str(row.triplet_id)
        if isinstance(row.name, str) and row.name:
            by_folder[row.name] = str(row.triplet_id)
    status: dict[str, str] = {}
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        tid = by_folder.get(folder.name)
        files = (folder / FLOW13, folder / FLOW31)
        if tid is None or not all(f.is_file() for f in files):
            continue
        if has_flows(root, tid) and not overwrite:
            status[tid] = "kept"
            continue
        for f in files:
            read_flow(f)  # validate both before anything is written
        for f, dest in zip(files, flow_paths(root, tid)):
            with atomic_path(dest) as tmp:
                shutil.copyfile(f, tmp)
        write_text(root.flows_dir(tid) / PROVENANCE, json.dumps({"source": "imported", "from": str(folder)}) + "\n")
        status[tid] = "imported"
    return status


def resize_flow(flow: np.ndarray, width: int, height: int) -> np.ndarray:
    """Nearest-resize a (2,h,w) flow to (2,height,width) and rescale x, y (the official loader's rule)."""
    import torch

    from atdkit.methods.animeinterp.rfr.rfr import resize_flow_nearest

    t = torch.from_numpy(np.ascontiguousarray(flow, dtype=np.float32))[None]
    return resize_flow_nearest(t, (height, width))[0].numpy()
