"""Fixtures of the fault tests."""

from __future__ import annotations

import pytest

import fault_harness


@pytest.fixture(scope="module", autouse=True)
def stop_forkserver():
    """No process of these tests outlives its module."""
    yield
    fault_harness.shutdown()
