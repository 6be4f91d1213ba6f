"""The interpolation-method interface and the registry fed by entry points.

A method takes two RGB frames (H×W×3 ``uint8``) and a time ``t`` in (0, 1) and
returns the frame at ``t`` as H×W×3 ``float32`` RGB in [0, 1] (not quantised:
the official ATD-12K protocol scores the float output). Batching, padding and
device placement are the method's own business.

Methods register under a name in the entry-point group ``atdkit.methods``
(``pyproject.toml``), so a third-party package adds a model by being installed.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import ClassVar

import numpy as np

from atdkit.errors import UnknownMethod, WeightsMissing

ENTRY_POINT_GROUP = "atdkit.methods"


@dataclass(frozen=True)
class TripletContext:
    """Where a triplet comes from, for methods that reuse per-triplet data
    cached in the dataset root (e.g. AnimeInterp's SGM flows)."""

    root: Path | None = None
    triplet_id: str | None = None


class Interpolator(abc.ABC):
    """Base class of every interpolation method.

    Subclasses set ``name``, ``license`` and ``weights`` (names in
    :mod:`atdkit.weights`) and implement :meth:`interpolate`.
    """

    name: ClassVar[str] = ""
    license: ClassVar[str] = ""
    description: ClassVar[str] = ""
    weights: ClassVar[tuple[str, ...]] = ()

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    @abc.abstractmethod
    def interpolate(
        self,
        frame1: np.ndarray,
        frame3: np.ndarray,
        t: float = 0.5,
        *,
        context: TripletContext | None = None,
    ) -> np.ndarray:
        """Return the frame at time ``t`` between ``frame1`` (t=0) and ``frame3`` (t=1).

        Inputs: H×W×3 uint8 RGB. Output: H×W×3 float32 RGB in [0, 1].
        """

    @classmethod
    def weights_status(cls) -> dict[str, Path | None]:
        """Map each declared weights name to its resolved file, or None when absent."""
        from atdkit import weights as weights_registry

        status: dict[str, Path | None] = {}
        for name in cls.weights:
            try:
                status[name] = weights_registry.resolve(name)
            except WeightsMissing:
                status[name] = None
        return status


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available() -> list[str]:
    """Names of all installed methods, sorted."""
    return sorted(_entry_points())


def method_class(name: str) -> type[Interpolator]:
    """The class registered under ``name``; raises :class:`UnknownMethod`."""
    eps = _entry_points()
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none"
        raise UnknownMethod(f"unknown method {name!r}; installed methods: {known}")
    cls = eps[name].load()
    if not (isinstance(cls, type) and issubclass(cls, Interpolator)):
        raise UnknownMethod(f"entry point {name!r} ({eps[name].value}) is not an atdkit Interpolator")
    return cls


def load(name: str, device: str = "cpu", **options) -> Interpolator:
    """Instantiate the method registered under ``name``.

    Raises :class:`UnknownMethod` for an unknown name and
    :class:`~atdkit.errors.WeightsMissing` (one line: what to fetch or where to
    put the file) when its weights are absent.
    """
    return method_class(name)(device=device, **options)
