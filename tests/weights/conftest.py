"""Fixtures for the weights-registry tests: an isolated cache, a local HTTP server on
127.0.0.1, a local pip index, and a registry holding only test specs."""

from __future__ import annotations

import http.server
import importlib.metadata
import threading
from pathlib import Path

import pytest
from plugin_fixtures import install_plugin
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
def test_registry(tmp_path, monkeypatch):
    """``register(spec)``: declare ``spec`` on a method of a real third-party plugin (a dist-info
    with an ``atdkit.methods`` entry point on sys.path). The registry then sees only that plugin:
    its entry-point search is narrowed to the plugin's folder and the core list is emptied."""
    folder = tmp_path / "plugin"
    declared: list = []
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(registry, "CORE", ())
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: [ep for d in importlib.metadata.distributions(path=[str(folder)])
                                       for ep in d.entry_points if ep.group == group])

    def register(spec):
        declared.append(spec)
        install_plugin(folder, "atdkit_test_weights_plugin", {"t-plugin-method": ("PluginMethod", declared)})
        return spec

    return register


@pytest.fixture
def local_index(tmp_path, monkeypatch) -> Path:
    """A folder that pip uses as its only package index (via $ATDKIT_PIP_ARGS)."""
    index = tmp_path / "index"
    index.mkdir()
    monkeypatch.setenv("ATDKIT_PIP_ARGS", f"--no-index --find-links {index}")
    return index
