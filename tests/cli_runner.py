"""Run ``atdkit`` in the test process and capture what it prints (a uniquely named module beside the
top-level conftest.py, so every test folder can import it)."""

from __future__ import annotations

import pytest

from atdkit.cli import main


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``atdkit ARGV``."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    out, err = capsys.readouterr()
    return stop.value.code, out, err
