"""The interpolation-method interface and the registry fed by entry points.

A method takes two RGB frames (H×W×3 ``uint8``) and a time ``t`` in (0, 1) and
returns the frame at ``t`` as H×W×3 ``float32`` RGB in [0, 1] (not quantised:
the official ATD-12K protocol scores the float output). Batching, padding and
device placement are the method's own business.

Methods register under a name in the entry-point group ``atdkit.methods``
(``pyproject.toml``), so a third-party package adds a model by being installed.
Everything about a method is declared on its class: ``weights`` (the
:class:`~atdkit.weights.WeightsSpec` of each released file, which the weights
registry collects from the entry points) and ``options`` (what ``atdkit bench
-m NAME:key=value`` may set, checked by :func:`parse_method`).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from atdkit.errors import BadArgument, UnknownMethod, WeightsMissing
from atdkit.weights.registry import METHODS_GROUP as ENTRY_POINT_GROUP
from atdkit.weights.spec import WeightsSpec

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclass(frozen=True)
class Option:
    """A keyword argument of a method's constructor that the command line may set.

    ``type``: ``str``, ``int``, ``float`` or ``bool``; ``choices``: the allowed values
    (after conversion), or empty for any value of the type.
    """

    name: str
    type: type
    default: Any
    choices: tuple = ()
    help: str = ""

    def parse(self, text: str, method: str) -> Any:
        """``text`` converted to the option's type; BadArgument (one line) for a bad value."""
        try:
            if self.type is bool:
                if text.lower() not in _TRUE + _FALSE:
                    raise ValueError
                value = text.lower() in _TRUE
            else:
                value = self.type(text)
        except ValueError:
            raise BadArgument(f"method {method!r}: option {self.name}={text!r} is not a {self.type.__name__}") from None
        if self.choices and value not in self.choices:
            raise BadArgument(f"method {method!r}: option {self.name}={text!r} is not one of "
                           f"{', '.join(map(str, self.choices))}")
        return value

    def describe(self) -> str:
        allowed = "|".join(map(str, self.choices)) if self.choices else self.type.__name__
        return f"{self.name}={allowed} (default {self.default})"


@dataclass(frozen=True)
class TripletContext:
    """Where a triplet comes from, for methods that reuse per-triplet data
    cached in the dataset root (e.g. AnimeInterp's SGM flows)."""

    root: Path | None = None
    triplet_id: str | None = None


class Interpolator(abc.ABC):
    """Base class of every interpolation method.

    Subclasses set ``name`` (equal to their entry-point name), ``license``,
    ``description``, ``weights`` (the specs of the files they load) and
    ``options`` (constructor keywords the command line may set), and
    implement :meth:`interpolate`.
    """

    name: ClassVar[str] = ""
    license: ClassVar[str] = ""
    description: ClassVar[str] = ""
    weights: ClassVar[tuple[WeightsSpec, ...]] = ()
    options: ClassVar[tuple[Option, ...]] = ()

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

    def provenance(self) -> dict[str, str]:
        """What made this method's outputs beyond its options and weights (e.g. the settings
        of a cached intermediate); recorded with every results row, read again after each
        interpolation so that a method whose input differs per triplet (QVI's outer frames) says
        what that row had. Default: nothing."""
        return {}

    @classmethod
    def weights_used(cls, options: dict[str, Any]) -> tuple[WeightsSpec, ...]:
        """The weights a configuration with ``options`` loads (default: every declared file; a method
        whose options choose among its files, e.g. a variant, narrows this)."""
        return cls.weights

    @classmethod
    def weights_status(cls, options: dict[str, Any] | None = None) -> dict[str, Path | None]:
        """Map each weights name (of the configuration with ``options``, else every declared one)
        to its resolved file, or None when absent."""
        from atdkit import weights as weights_registry

        status: dict[str, Path | None] = {}
        for spec in (cls.weights if options is None else cls.weights_used(options)):
            try:
                status[spec.name] = weights_registry.resolve(spec)
            except WeightsMissing:
                status[spec.name] = None
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


@dataclass(frozen=True)
class MethodChoice:
    """A method with the options the command line gave it (``NAME[:key=value,…]``), converted
    and checked against the class's declared ``options``. ``label`` names this configuration
    in results: the name, then the options that differ from their defaults, sorted."""

    name: str
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def label(self) -> str:
        return self.name + (":" + ",".join(f"{k}={v}" for k, v in self.options) if self.options else "")


def parse_method(text: str) -> MethodChoice:
    """``NAME`` or ``NAME:key=value,key=value`` → a checked :class:`MethodChoice`.
    Raises UnknownMethod or BadArgument (one line) for an unknown option or a bad value."""
    name, _, rest = text.partition(":")
    cls = method_class(name.strip())
    declared = {o.name: o for o in cls.options}
    given: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq:
            raise BadArgument(f"method {cls.name!r}: option {item!r} is not key=value")
        if key not in declared:
            known = ", ".join(o.describe() for o in cls.options) or "none"
            raise BadArgument(f"method {cls.name!r} has no option {key!r}; its options: {known}")
        given[key] = declared[key].parse(value.strip(), cls.name)
    kept = tuple(sorted((k, v) for k, v in given.items() if v != declared[k].default))
    return MethodChoice(cls.name, kept)


def load(name: str, device: str = "cpu", **options) -> Interpolator:
    """Instantiate the method registered under ``name``.

    Raises :class:`UnknownMethod` for an unknown name and
    :class:`~atdkit.errors.WeightsMissing` (one line: what to fetch or where to
    put the file) when its weights are absent.
    """
    return method_class(name)(device=device, **options)
