"""Annotators: hashed tokens only, login, revocation; the CLI."""

import subprocess
import sys

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from atdkit.cli import _register_commands
from atdkit.cli.app import app
from atdkit.errors import BadInput
from atdkit.labels import annotators


def test_tokens_are_hashed_and_authenticate(root):
    tok_a = annotators.add(root, "alice")
    tok_b = annotators.add(root, "bob", admin=True)
    raw = (root.path / "annotators.parquet").read_bytes()
    assert tok_a.encode() not in raw and tok_b.encode() not in raw
    table = pq.read_table(root.path / "annotators.parquet").to_pandas()
    assert set(table.columns) >= {"token_hash", "salt"} and table["salt"].nunique() == 2
    assert annotators.authenticate(root, tok_a) == annotators.Annotator("alice", "annotator")
    assert annotators.authenticate(root, tok_b).is_admin
    assert annotators.authenticate(root, tok_a + "x") is None
    assert annotators.authenticate(root, "") is None


def test_remove_revokes_and_names_are_checked(root):
    tok = annotators.add(root, "alice")
    with pytest.raises(BadInput, match="already exists"):
        annotators.add(root, "alice")
    annotators.remove(root, "alice")
    assert annotators.authenticate(root, tok) is None
    assert list(annotators.list_annotators(root)["active"]) == [False]
    new = annotators.add(root, "alice")  # re-issued: a new token, the old one stays dead
    assert annotators.authenticate(root, new).name == "alice" and annotators.authenticate(root, tok) is None
    for bad in ("synthetic-truth", "../x", "<script>", ""):
        with pytest.raises(BadInput):
            annotators.add(root, bad)
    with pytest.raises(BadInput, match="no annotator"):
        annotators.remove(root, "nobody")


def test_cli_add_prints_token_once_list_remove(root):
    _register_commands()
    runner = CliRunner()
    res = runner.invoke(app, ["annotators", "add", str(root.path), "carol", "--admin"])
    assert res.exit_code == 0, res.output
    token = res.output.strip().splitlines()[-1]
    assert annotators.authenticate(root, token).is_admin
    listed = runner.invoke(app, ["annotators", "list", str(root.path)])
    assert "carol" in listed.output and token not in listed.output
    assert runner.invoke(app, ["annotators", "remove", str(root.path), "carol"]).exit_code == 0
    assert annotators.authenticate(root, token) is None


def test_cli_error_is_one_line_exit_2(tmp_path):
    res = subprocess.run([sys.executable, "-m", "atdkit", "annotators", "remove", str(tmp_path), "x"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert res.stderr.startswith("error: ") and "not a dataset root" in res.stderr


def test_session_values_are_signed_expire_and_end_with_the_token(root):
    from atdkit.labels import sessions

    tok = annotators.add(root, "ann1")
    annotators.add(root, "ann2")
    key, table = sessions.session_key(root), annotators.read_annotators(root)
    assert sessions.session_key(root) == key and len(key) == 32
    assert oct((root.path / "labels" / ".session_key").stat().st_mode & 0o777) == "0o600"
    value = sessions.issue(key, table, "ann1", now=1000.0, seconds=60)
    assert sessions.verify(key, table, value, now=1059.0).name == "ann1"
    assert sessions.verify(key, table, value, now=1060.0) is None                  # expired
    name_hex, exp, sig = value.split(".")
    forged = f"{'ann2'.encode().hex()}.{exp}.{sig}"                                # another name, same signature
    assert sessions.verify(key, table, forged, now=1000.0) is None
    assert sessions.verify(key, table, f"{name_hex}.{int(exp) + 99}.{sig}", now=1000.0) is None  # longer life
    assert sessions.verify(bytes(32), table, value, now=1000.0) is None           # another root's secret
    for junk in (None, "", "a.b", "zz.1.x", "a" * 600):
        assert sessions.verify(key, table, junk, now=1000.0) is None
    assert tok not in value                                                       # the token never leaves
    annotators.remove(root, "ann1")
    assert sessions.verify(key, annotators.read_annotators(root), value, now=1000.0) is None  # revoked
