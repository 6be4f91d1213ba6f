"""Weights registry: see :mod:`atdkit.weights.registry`."""

from atdkit.weights.registry import (
    cache_dir,
    declared,
    download_wheel,
    fetch,
    get,
    overridden,
    resolve,
    sha256_file,
    specs,
    verify,
    wheel_cache_dir,
    wheel_specs,
)
from atdkit.weights.spec import WeightsSpec, WheelMember

__all__ = [
    "WeightsSpec", "WheelMember", "cache_dir", "declared", "download_wheel", "fetch", "get", "overridden",
    "resolve", "sha256_file", "specs", "verify", "wheel_cache_dir", "wheel_specs",
]
