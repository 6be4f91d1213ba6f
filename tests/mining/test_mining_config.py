"""The mining defaults live in one place (atdkit/mining/config.py) that ``atdkit mine`` reads."""

from __future__ import annotations

from dataclasses import fields

import typer

from atdkit.cli import _register_commands
from atdkit.cli.app import app
from atdkit.mining.config import DEFAULTS, MiningConfig, help_text


def _mine_options() -> dict[str, object]:
    _register_commands()
    command = typer.main.get_command(app).commands["mine"]
    return {p.name: p for p in command.params}


def test_every_mining_option_takes_its_default_and_help_from_the_config():
    options = _mine_options()
    shown = {"strides": ",".join(map(str, DEFAULTS.strides)), "ssim_size": "x".join(map(str, DEFAULTS.ssim_size))}
    checked = 0
    for f in fields(MiningConfig):
        if f.name not in options:  # flow width and the shot thresholds are not command-line options
            continue
        option = options[f.name]
        assert option.default == shown.get(f.name, getattr(DEFAULTS, f.name)), f.name
        assert option.help.startswith(help_text(f.name)), f.name
        checked += 1
    assert checked >= 9


def test_the_defaults_are_a_valid_config_that_round_trips():
    assert MiningConfig.from_dict(DEFAULTS.to_dict()) == DEFAULTS == MiningConfig()
    assert all(help_text(f.name) for f in fields(MiningConfig))
