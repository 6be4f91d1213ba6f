"""Weights registry: see :mod:`atdkit.weights.registry`."""

from atdkit.weights.registry import (
    WeightsSpec,
    WheelMember,
    cache_dir,
    fetch,
    get,
    register,
    resolve,
    sha256_file,
    specs,
    verify,
)

__all__ = [
    "WeightsSpec", "WheelMember", "cache_dir", "fetch", "get", "register", "resolve",
    "sha256_file", "specs", "verify",
]
