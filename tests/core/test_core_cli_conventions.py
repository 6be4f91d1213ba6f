"""Command-line conventions (issue 16 point 7): ROOT is the first positional argument everywhere,
``--out`` is never a dataset root, no ambiguous ``--style``, closed vocabularies are choices, results
on stdout and progress/logs on stderr, exit status 1 for a runtime error and 2 for a usage error,
and ``atdkit --help`` lists the commands in workflow order."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from cli_runner import run_cli

from atdkit.cli import _register_commands
from atdkit.cli.app import PANELS, app
from atdkit.store.dataset import DatasetRoot


def _commands() -> dict[str, object]:
    """Every leaf command by its full name ('mine', 'annotators add', …)."""
    _register_commands()
    group = typer.main.get_command(app)
    out = {}
    for name, cmd in group.commands.items():
        subs = getattr(cmd, "commands", None)
        if subs:
            out.update({f"{name} {sub}": c for sub, c in subs.items()})
        else:
            out[name] = cmd
    return out


def test_help_lists_every_command_in_workflow_order(capsys):
    _register_commands()
    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        assert getattr(cmd, "rich_help_panel", None) in PANELS, f"{name}: give it rich_help_panel= one of {PANELS}"
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0
    positions = [out.index(panel) for panel in PANELS]
    assert positions == sorted(positions), out
    order = [line.split()[1] for line in out.splitlines() if line.startswith("│ ") and line[2:3].isalpha()]
    assert order.index("mine") < order.index("annotate") < order.index("consensus") < order.index("bench") \
        < order.index("report") < order.index("weights")
    assert set(order) == set(group.commands)


def test_a_dataset_root_is_the_first_positional_argument_everywhere():
    with_root = []
    for name, cmd in _commands().items():
        arguments = [p for p in cmd.params if p.param_type_name == "argument"]
        options = {o for p in cmd.params if p.param_type_name == "option" for o in p.opts}
        assert "--root" not in options, name
        assert "--style" not in options, f"{name}: say which style (--art-style, --film-style, --line-style)"
        for p in cmd.params:
            if p.param_type_name == "option" and "--out" in p.opts:
                assert "dataset root" not in (p.help or ""), f"{name}: --out is never a dataset root"
        if any(p.name == "root" for p in cmd.params):
            assert arguments[0].name == "root" and arguments[0].metavar == "ROOT", name
            with_root.append(name)
    assert {"mine", "import-atd", "annotate", "annotators add", "annotators list", "annotators remove",
            "labels compact", "consensus", "sgm", "sgm-import", "bench", "export-atd", "recipe export", "recipe build",
            "recipe verify"} <= set(with_root)


@pytest.mark.parametrize("argv, word", [
    (["synth", "x.mp4", "--art-style", "watercolour"], "--art-style"),
    (["mine", "ROOT", "film.mp4", "--ssim-channels", "hsv"], "--ssim-channels"),
    (["mine", "ROOT", "film.mp4", "--backend", "ffmpeg"], "--backend"),
    (["sgm", "ROOT", "--line-style", "french"], "--line-style"),
    (["bench", "ROOT", "-m", "blend", "--out", "run", "--profile", "fancy"], "--profile"),
])
def test_closed_vocabularies_are_choices(tmp_path, capsys, argv, word):
    DatasetRoot.create(tmp_path / "ROOT")
    argv = [str(tmp_path / a) if a in ("ROOT", "x.mp4", "film.mp4", "run") else a for a in argv]
    (tmp_path / "film.mp4").write_bytes(b"")
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and word in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / "run").exists()


def test_usage_errors_exit_2_runtime_errors_exit_1(tmp_path, capsys):
    root = DatasetRoot.create(tmp_path / "root")
    usage = [
        ["mine"],                                                   # missing ROOT
        ["annotators", "list", str(tmp_path / "absent")],           # ROOT that does not exist
        ["annotators", "list", str(tmp_path)],                      # a folder that is not a dataset root
        ["synth", str(tmp_path / "f.mp4"), "--size", "160by90"],    # a malformed value
        ["mine", str(root.path), str(tmp_path / "f.mp4"), "--ssim-low", "0.9", "--ssim-high", "0.8"],
        ["demo", "--out", str(tmp_path / "demo"), "--only", "nope"],
        ["weights", "fetch"],
    ]
    for argv in usage:
        code, _, err = run_cli(argv, capsys)
        assert code == 2, (argv, err)
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, (argv, err)
    # well-formed command lines whose work fails
    code, _, err = run_cli(["annotate", str(root.path)], capsys)                      # no triplets to annotate
    assert code == 1 and err.strip() == f"error: {root.path}: no triplets to annotate (triplets.parquet missing)"
    (tmp_path / "notes.mp4").write_text("not a video")
    code, _, err = run_cli(["mine", str(root.path), str(tmp_path / "notes.mp4")], capsys)
    assert code == 1 and f"error: {tmp_path / 'notes.mp4'}: not a readable video" in err


def test_results_on_stdout_progress_and_logs_on_stderr(tmp_path):
    film = tmp_path / "f.mp4"
    done = subprocess.run([sys.executable, "-m", "atdkit", "synth", str(film), "--length", "1", "--size", "160x90"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {film} and {tmp_path / 'f.truth.json'}"
    assert "synth f.mp4" in done.stderr                                   # the progress bar
    root = DatasetRoot.create(tmp_path / "root")
    added = subprocess.run([sys.executable, "-m", "atdkit", "annotators", "add", str(root.path), "carol"],
                           capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert len(token.split()) == 1 and len(token) >= 16                   # the token alone: a script can read it
    assert "token for carol" in added.stderr
