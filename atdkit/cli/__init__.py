"""Command-line interface: ``atdkit <command>``.

Each module under ``atdkit/cli/`` owns the commands of one capability and
attaches them to :data:`atdkit.cli.app.app`.
"""

from __future__ import annotations

import sys

from atdkit.cli.app import app
from atdkit.errors import AtdkitError


def _register_commands() -> None:
    from atdkit.cli import (  # noqa: F401
        annotate,
        bench,
        datasets,
        demo,
        mine,
        sgm,
        weights,
    )


def main() -> None:
    _register_commands()
    try:
        app()
    except AtdkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
