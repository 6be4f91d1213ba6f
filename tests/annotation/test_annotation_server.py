"""`atdkit annotate` as a real process: SIGTERM, SIGINT (and SIGKILL) of it stop its Streamlit child."""

from __future__ import annotations

import signal
import time

import psutil
import pytest

from annotation_browser_harness import StreamlitServer
from annotation_fixtures import build_root


def _gone(proc: psutil.Process, timeout: float) -> bool:
    try:
        proc.wait(timeout)
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_annotate_stops_its_server(tmp_path, sig):
    root = build_root(tmp_path / "root", n=1)
    srv, children = StreamlitServer(root.path), []
    try:
        parent = psutil.Process(srv.proc.pid)
        children = parent.children(recursive=True)
        assert children, "atdkit annotate started no server process"
        srv.proc.send_signal(sig)                              # the parent only, not its group
        assert srv.proc.wait(timeout=30) in (0, -signal.SIGKILL)
        for child in children:
            assert _gone(child, timeout=20), f"server pid {child.pid} still running after {sig.name}"
        if sig != signal.SIGKILL:
            assert "stopped the annotation server" in (root.path.parent / "streamlit.log").read_text()
    finally:
        srv.stop()
        for child in children:
            if child.is_running():
                child.kill()
