"""``atdkit annotate``, ``atdkit annotators add|list|remove``, ``atdkit labels compact``,
``atdkit consensus``."""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from atdkit.cli.app import LABEL, app
from atdkit.cli.options import root_argument
from atdkit.errors import BadInput
from atdkit.labels import annotators as people
from atdkit.labels.consensus import compute, write_consensus
from atdkit.store.dataset import DatasetRoot

console = Console()          # results
log = Console(stderr=True)   # what the command is doing

annotators_app = typer.Typer(help="Who may annotate: add (prints the token once), list, remove (revoke).",
                             no_args_is_help=True)
app.add_typer(annotators_app, name="annotators", rich_help_panel=LABEL)
labels_app = typer.Typer(help="Label parts: compact.", no_args_is_help=True)
app.add_typer(labels_app, name="labels", rich_help_panel=LABEL)


def streamlit_command(root: Path, host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line serving the app on ``host:port`` for ``root``
    (``annotation_server.py``: the app with its media files behind the login)."""
    from atdkit.annotation_app import SERVER_SCRIPT

    # runner.fastReruns off: a rerun request waits for the running script (ours take tens of ms)
    # instead of interrupting it; an interrupted run drops the media files it had not re-registered
    # yet, and an image the browser was still fetching then stays broken (seen with the flipbook).
    return [sys.executable, "-m", "streamlit", "run", str(SERVER_SCRIPT),
            "--server.address", host, "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--runner.fastReruns", "false",
            # no full garbage collection after every script run: with numpy/pandas/pyarrow loaded it
            # took ~25 ms of the server's CPU per rerun, 40 % of all of it with 8 annotators at once
            # (reference counting frees a rerun's objects; Python's generational GC still runs)
            "--runner.postScriptGC", "false",
            # annotators see no developer menu, no Deploy button and no tracebacks (they name server paths)
            "--client.toolbarMode", "minimal", "--client.showErrorDetails", "none",
            "--", "--root", str(root.resolve())]


class _Stop(Exception):
    """SIGTERM or SIGINT reached ``atdkit annotate``."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM when ``atdkit annotate`` dies, even by SIGKILL."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve_child(command: list[str], grace_s: float = 10.0) -> int:
    """Run ``command`` until it exits or this process gets SIGTERM/SIGINT; then the child is
    stopped too (SIGTERM, SIGKILL after ``grace_s``) and 0 is returned. Never leaves it orphaned."""
    def stop(signum, _frame):
        raise _Stop(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    child = None
    try:
        child = subprocess.Popen(command, env={**os.environ}, preexec_fn=_die_with_parent)
        return child.wait()
    except _Stop:
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(grace_s)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            print(f"stopped the annotation server (pid {child.pid})", file=sys.stderr)


@app.command(rich_help_panel=LABEL)
def annotate(root: Path = root_argument(),
             host: str = typer.Option("127.0.0.1", help="address to listen on"),
             port: int = typer.Option(8501, help="port to listen on")) -> None:
    """Serve the annotation app for ROOT (Streamlit)."""
    ds = DatasetRoot.open(root)
    if not (ds.path / "triplets.parquet").is_file() and not ds.triplet_parts.parts():
        raise BadInput(f"{ds.path}: no triplets to annotate (triplets.parquet missing)")
    if people.read_annotators(ds).query("active").empty:
        log.print("no active annotators yet: add one with "
                  f"`atdkit annotators add {ds.path} NAME --admin`")
    log.print(f"serving {ds.path} on http://{host}:{port} (stop with Ctrl-C or SIGTERM)")
    raise typer.Exit(serve_child(streamlit_command(ds.path, host, port)))


@annotators_app.command("add")
def annotators_add(root: Path = root_argument(), name: str = typer.Argument(..., help="annotator name"),
                   admin: bool = typer.Option(False, "--admin", help="role admin (review, statistics, export)")) -> None:
    """Add an annotator and print their token on stdout (shown only this once)."""
    token = people.add(DatasetRoot.open(root), name, admin=admin)
    log.print(f"token for {name} (shown once, store it now):")
    print(token)


@annotators_app.command("list")
def annotators_list(root: Path = root_argument()) -> None:
    """List annotators (never tokens)."""
    table = Table("name", "role", "active", "created")
    for r in people.list_annotators(DatasetRoot.open(root)).itertuples(index=False):
        table.add_row(r.name, r.role, "yes" if r.active else "revoked", str(r.created_at))
    console.print(table)


@annotators_app.command("remove")
def annotators_remove(root: Path = root_argument(), name: str = typer.Argument(..., help="annotator name")) -> None:
    """Revoke an annotator's token (their labels stay)."""
    people.remove(DatasetRoot.open(root), name)
    console.print(f"revoked {name}")


@labels_app.command("compact")
def labels_compact(root: Path = root_argument()) -> None:
    """Merge the label parts of ROOT into one part per table (every submission kept)."""
    ds = DatasetRoot.open(root)
    (ds.path / "labels").mkdir(exist_ok=True)
    # One compaction at a time (two at once could each merge the same parts); writers never wait.
    with open(ds.path / "labels" / ".compact.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for table in (ds.votes, ds.annotations, ds.adjudications):
            before = len(table.parts())
            table.compact()
            console.print(f"{table.directory.relative_to(ds.path)}: {before} part(s) → {len(table.parts())}")


@app.command(rich_help_panel=LABEL)
def consensus(root: Path = root_argument()) -> None:
    """Write ROOT/consensus.parquet from the votes, annotations and admin rulings."""
    ds = DatasetRoot.open(root)
    table = compute(ds)
    path = write_consensus(ds, table)
    counts = table["status"].value_counts()
    console.print(f"{path}: " + ", ".join(f"{k} {v}" for k, v in counts.items()) +
                  f"; RoI flagged (IoU < 0.5): {int(table['roi_flag'].fillna(False).sum())}")
