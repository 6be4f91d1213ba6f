"""Fixtures for the mining tests: small synthetic films written to disk (per xdist worker)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mining_helpers import SMALL

from atdkit.synth import synthesize


@pytest.fixture(scope="session")
def films_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("films")


@pytest.fixture(scope="session")
def small_film(films_dir) -> Path:
    """A 2.5 s 320×180 synthetic film (seed 7) with its truth sidecar."""
    return synthesize(films_dir / "small.mp4", seed=7, style="cel", **SMALL)


@pytest.fixture(scope="session")
def small_films(films_dir) -> list[Path]:
    """Three different small films (seeds 1–3, three styles)."""
    return [synthesize(films_dir / f"f{seed}.mp4", seed=seed, style=style, **SMALL)
            for seed, style in ((1, "cel"), (2, "anime"), (3, "mono"))]
