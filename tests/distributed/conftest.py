"""Real Dask clusters for the distributed tests: a `dask scheduler` and `dask worker` processes
started on 127.0.0.1 by the test (each with its own working directory and options), all killed
when the test ends, pass or fail."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BENCH_TESTS = REPO / "tests" / "bench"  # build_root: a small dataset root of known triplets
sys.path.insert(0, str(BENCH_TESTS))
DASK = str(Path(sys.executable).parent / "dask")


class Cluster:
    """A scheduler and the worker processes added to it (``add_worker``); ``close`` kills them all."""

    def __init__(self, base: Path):
        self.base = base
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[str, subprocess.Popen] = {}
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE), str(BENCH_TESTS), os.environ.get("PYTHONPATH", "")]),
                    "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        self.file = base / "scheduler.json"
        self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(self.file)], base)
        deadline = time.monotonic() + 120
        while not self.file.is_file():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError(f"dask scheduler did not start: {self._log(self.procs[0])}")
            time.sleep(0.2)
        import json

        self.address = json.loads(self.file.read_text())["address"]

    def _start(self, argv, cwd: Path, wrapper: list[str] | None = None) -> subprocess.Popen:
        log = open(self.base / f"proc{len(self.procs)}.log", "w")
        proc = subprocess.Popen((wrapper or []) + argv, cwd=cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        proc.log_path = log.name  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def _log(self, proc) -> str:
        return Path(proc.log_path).read_text()[-2000:]

    def add_worker(self, name: str, cwd: Path | None = None, hide: Path | None = None) -> subprocess.Popen:
        """A one-thread worker process (no nanny: killing it kills the worker) in ``cwd``; ``hide``:
        a folder the worker sees empty (a private mount over it), as a machine without that storage."""
        cwd = cwd or self.base
        cwd.mkdir(parents=True, exist_ok=True)
        argv = [DASK, "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
                "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(self.base / f"w-{name}")]
        wrapper = None
        if hide is not None:
            if not private_mounts():
                pytest.skip("this machine cannot make a private mount (unshare -rm): no worker without the storage")
            wrapper = ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs none "{hide}" && exec "$0" "$@"']
        proc = self._start(argv, cwd, wrapper)
        self.workers[name] = proc
        return proc

    def wait_for(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            try:
                client.wait_for_workers(n, timeout=180)
            except TimeoutError:
                logs = "\n".join(self._log(p) for p in self.procs)
                raise RuntimeError(f"{n} Dask workers did not join:\n{logs}") from None

    def kill(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def close(self) -> None:
        for proc in reversed(self.procs):
            self.kill(proc)


@functools.lru_cache(maxsize=1)
def private_mounts() -> bool:
    """Whether an unprivileged process may mount over a folder in its own namespace (``unshare -rm``)."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            done = subprocess.run(["unshare", "-rm", "sh", "-c", f'mount -t tmpfs none "{folder}"'],
                                  capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0


@pytest.fixture
def dask_cluster(tmp_path):
    """Start a cluster with ``dask_cluster()``; workers with ``.add_worker``; killed at teardown."""
    pytest.importorskip("distributed")
    made: list[Cluster] = []

    def make() -> Cluster:
        base = tmp_path / f"cluster{len(made)}"
        base.mkdir()
        made.append(Cluster(base))
        return made[-1]

    yield make
    for cluster in made:
        cluster.close()
