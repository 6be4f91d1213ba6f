"""Weights registry: see :mod:`atdkit.weights.registry`."""

from atdkit.weights.registry import (
    WeightsSpec,
    WheelMember,
    cache_dir,
    download_wheel,
    fetch,
    get,
    register,
    resolve,
    sha256_file,
    specs,
    verify,
    wheel_cache_dir,
    wheel_specs,
)

__all__ = [
    "WeightsSpec", "WheelMember", "cache_dir", "download_wheel", "fetch", "get", "register", "resolve",
    "sha256_file", "specs", "verify", "wheel_cache_dir", "wheel_specs",
]
