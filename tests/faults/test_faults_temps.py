"""Cleanup of temp files: a live writer's temp is never touched, an ended writer's is removed and named."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from atdkit.store import atomic

# A second real process: opens an atomic write, prints the temp path, then holds it open until killed.
HOLDER = """
import sys, time
from atdkit.store import atomic
with atomic.atomic_path(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half of a file")
    print(tmp, flush=True)
    time.sleep(600)
"""


def _hold(final: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(final)], stdout=subprocess.PIPE, text=True, env=env)
    return proc, Path(proc.stdout.readline().strip())


def test_live_writers_temp_is_kept_and_ended_writers_temp_is_removed(tmp_path, capfd):
    root = tmp_path / "root"
    (root / "frames" / "t1").mkdir(parents=True)
    proc, tmp = _hold(root / "candidates.parquet")          # a temp at the root itself
    try:
        assert tmp.is_file() and tmp.parent == root and str(proc.pid) in tmp.name
        assert atomic.remove_stale_temps(root) == []
        assert tmp.is_file()
        assert capfd.readouterr().err == ""                  # nothing removed, nothing said
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert tmp.is_file()                                 # killed mid-write: the temp is left behind
        removed = atomic.remove_stale_temps(root)
        assert removed == [tmp] and not tmp.exists()
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and tmp.name in err[0] and "removed 1 temp file" in err[0]
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_this_processs_open_temp_is_kept_in_every_folder(tmp_path):
    deep = tmp_path / "frames" / "t1" / "frame1.png"
    with atomic.atomic_path(deep) as tmp:
        tmp.write_bytes(b"x")
        assert atomic.remove_stale_temps(tmp_path) == [] and tmp.exists()
    assert deep.read_bytes() == b"x" and not tmp.exists()


def test_reused_pid_and_unowned_temps(tmp_path):
    # a live process's pid (our parent's) with another start time: an ended writer that had the same pid
    _, host, boot, _, start, _ = atomic.owner_tag().split("~")
    reused = tmp_path / f".a.parquet.~{host}~{boot}~{os.getppid()}~{int(start) + 12345}~x1.tmp"
    other_host_new = tmp_path / ".b.parquet.~elsewhere~abc~1~1~x2.tmp"
    other_host_old = tmp_path / ".c.parquet.~elsewhere~abc~1~1~x3.tmp"
    legacy_new = tmp_path / ".d.parquet.abcd1234.tmp"          # no owner in the name (older atdkit)
    legacy_old = tmp_path / ".e.parquet.abcd1234.tmp"
    for p in (reused, other_host_new, other_host_old, legacy_new, legacy_old):
        p.write_bytes(b"")
    old = time.time() - atomic.STALE_AFTER_S - 60
    for p in (other_host_old, legacy_old):
        os.utime(p, (old, old))
    removed = set(atomic.remove_stale_temps(tmp_path))
    assert removed == {reused, other_host_old, legacy_old}
    assert other_host_new.exists() and legacy_new.exists()
