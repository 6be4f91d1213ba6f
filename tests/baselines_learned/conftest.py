"""Fixtures of the learned-baseline tests: released weights from the cache (``make weights``)."""

from __future__ import annotations

import pytest
from learned_fixtures import load_method


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
