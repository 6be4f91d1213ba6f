"""Atomic file writes: write to a temp name in the same folder, fsync, rename.

A reader (or a process killed mid-write) never sees a partial file under the
final name; temp files start with ``.`` and end with ``.tmp`` so that globs
for ``*.parquet`` or ``*.png`` never pick them up.

A temp file's name records its writer: ``.<final name>.~<host>~<boot>~<pid>~<start>~<random>.tmp``
(``boot``: this boot of the machine, ``start``: the writer's start time in clock ticks since boot,
so a reused pid is not mistaken for the writer). :func:`remove_stale_temps` removes only temps whose
writer has ended; a temp of another machine (a cluster's shared folder) or of no recorded writer is
removed only when older than :data:`STALE_AFTER_S`.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def _file_mode() -> int:
    """The mode a plainly created file gets (0o666 less the umask); mkstemp would give 0o600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


STALE_AFTER_S = 6 * 3600
"""A temp file whose writer cannot be checked (another machine, no owner in its name) is removed
only after this many seconds without a write."""

_OWNER = re.compile(r"\.~(?P<host>[^~/]*)~(?P<boot>[0-9a-f]*)~(?P<pid>\d+)~(?P<start>\d+)~[^~/]*\.tmp$")


def _boot_id() -> str:
    try:
        return open("/proc/sys/kernel/random/boot_id").read().strip().replace("-", "")[:12]
    except OSError:
        return ""


def _start_ticks(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot; None if there is no such process
    or it has ended (a zombie not yet reaped: a killed pool worker whose parent died too)."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    # the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    fields = stat[stat.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64]


def owner_tag() -> str:
    """This process as a temp file's owner: host, boot, pid and start time (see the module doc)."""
    pid = os.getpid()
    return f"~{_host()}~{_boot_id()}~{pid}~{_start_ticks(pid) or 0}~"


def writer_alive(name: str, now: float | None = None, mtime: float | None = None) -> bool:
    """Whether the writer of the temp file ``name`` may still be writing it."""
    m = _OWNER.search(name)
    if m and m["host"] == _host() and m["boot"] == _boot_id():
        pid = int(m["pid"])
        if pid == os.getpid():
            return True
        start = _start_ticks(pid)
        return start is not None and start in (0, int(m["start"]))
    if m and m["host"] == _host() and m["boot"] != _boot_id():
        return False  # written before this machine's last boot
    return mtime is not None and (now or time.time()) - mtime < STALE_AFTER_S


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success rename it onto ``path``."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.{owner_tag()}", suffix=".tmp", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp_path, FILE_MODE)
        os.replace(tmp_path, final)
        _fsync_dir(final.parent)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def write_table(path: str | os.PathLike, table: pa.Table) -> Path:
    """Write a Parquet file atomically."""
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)


def remove_stale_temps(directory: str | os.PathLike) -> list[Path]:
    """Delete the temp files under ``directory`` (all depths) whose writer has ended
    (:func:`writer_alive`); say on stderr, in one line, what was removed. Returns the removed paths.
    Temps of live writers, in this process or any other, are left alone."""
    top = Path(directory)
    removed, now = [], time.time()
    for folder, subfolders, files in os.walk(top):
        for name in files:
            if not (name.startswith(".") and name.endswith(".tmp")):
                continue
            path = Path(folder) / name
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                continue  # renamed into place or removed meanwhile
            if writer_alive(name, now, mtime):
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    if removed:
        shown = ", ".join(str(p.relative_to(top)) for p in removed[:5]) + (" …" if len(removed) > 5 else "")
        print(f"{top}: removed {len(removed)} temp file(s) left by ended writers: {shown}", file=sys.stderr)
    return removed
