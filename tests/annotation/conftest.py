"""Fixtures of the annotation tests."""

from __future__ import annotations

import pytest

from annotation_fixtures import build_root
from atdkit.labels import annotators
from atdkit.store.dataset import DatasetRoot


@pytest.fixture
def root(tmp_path) -> DatasetRoot:
    return build_root(tmp_path / "root")


@pytest.fixture
def tokens(root) -> dict[str, str]:
    """Tokens of annotators ann1, ann2, ann3 and admin boss."""
    out = {name: annotators.add(root, name) for name in ("ann1", "ann2", "ann3")}
    out["boss"] = annotators.add(root, "boss", admin=True)
    return out
