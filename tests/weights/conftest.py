"""Fixtures for the weights-registry tests: an isolated cache, a local HTTP server on
127.0.0.1, a local pip index, and a registry holding only test specs."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from weights_fixtures import RequestHandler

from atdkit.weights import registry


@pytest.fixture
def http_base():
    """Base URL of a local HTTP server (127.0.0.1, free port) and its per-path hit counter."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
    RequestHandler.hits = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", RequestHandler.hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A fresh $ATDKIT_CACHE; no $ATDKIT_WEIGHTS_DIR or $ATDKIT_PIP_ARGS from the environment."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ATDKIT_CACHE", str(root))
    monkeypatch.delenv("ATDKIT_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("ATDKIT_PIP_ARGS", raising=False)
    return root


@pytest.fixture
def test_registry(monkeypatch) -> dict:
    """Swap the registry for an empty one (the real catalog is imported first, so it stays out)."""
    registry.specs()
    fresh: dict = {}
    monkeypatch.setattr(registry, "_REGISTRY", fresh)
    return fresh


@pytest.fixture
def local_index(tmp_path, monkeypatch) -> Path:
    """A folder that pip uses as its only package index (via $ATDKIT_PIP_ARGS)."""
    index = tmp_path / "index"
    index.mkdir()
    monkeypatch.setenv("ATDKIT_PIP_ARGS", f"--no-index --find-links {index}")
    return index
