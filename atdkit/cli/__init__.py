"""Command-line interface: ``atdkit <command>``.

Each module under ``atdkit/cli/`` owns the commands of one capability and
attaches them to :data:`atdkit.cli.app.app`, in a help panel of the workflow
(:data:`atdkit.cli.app.PANELS`).

Conventions (docs/architecture.md): a dataset root is the first positional
argument ``ROOT``; ``--out`` names the folder or file a command writes its product
into, never a dataset root; results go to stdout, progress and logs to stderr;
exit status 1 for a runtime error, 2 for a usage error.
"""

from __future__ import annotations

import sys

import typer

from atdkit.cli.app import app
from atdkit.errors import AtdkitError, BadArgument, UnknownMethod, UnknownWeights

try:  # Typer vendors click from 0.2x on; before, it used click itself
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older Typer
    from click import exceptions as click_exceptions

USAGE_EXIT = 2     # the command line is wrong: unknown option, bad value, missing argument
RUNTIME_EXIT = 1   # the command line is right but the work failed: unreadable film, missing weights…
USAGE_ERRORS = (BadArgument, UnknownMethod, UnknownWeights)


def _register_commands() -> None:
    # In workflow order: within a help panel, commands are listed in the order they are added.
    from atdkit.cli import mine  # noqa: F401, I001
    from atdkit.cli import datasets  # noqa: F401
    from atdkit.cli import recipe  # noqa: F401
    from atdkit.cli import annotate  # noqa: F401
    from atdkit.cli import train  # noqa: F401
    from atdkit.cli import sgm  # noqa: F401
    from atdkit.cli import bench  # noqa: F401
    from atdkit.cli import weights  # noqa: F401
    from atdkit.cli import demo  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """``atdkit``: run one command; every error is one line on stderr starting ``error:``."""
    _register_commands()
    try:
        code = app(args=argv, standalone_mode=False)
    except click_exceptions.NoArgsIsHelpError as exc:  # `atdkit` or `atdkit weights` alone: the help
        exc.show()
        code = USAGE_EXIT
    except click_exceptions.UsageError as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        code = USAGE_EXIT
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        code = RUNTIME_EXIT
    except AtdkitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = USAGE_EXIT if isinstance(exc, USAGE_ERRORS) else RUNTIME_EXIT
    sys.exit(code if isinstance(code, int) else 0)
