"""The Typer application that every command module attaches to."""

import typer

app = typer.Typer(
    name="atdkit",
    help="Animation frame-interpolation data and benchmarks: mine, annotate, benchmark.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
