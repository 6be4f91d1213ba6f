"""The Typer application that every command module attaches to.

``atdkit --help`` lists the commands in workflow order: each command names its panel
(``rich_help_panel=`` one of :data:`PANELS`), and the panels come in this order.
"""

import typer
from typer.core import TyperGroup

BUILD, LABEL, TRAIN, BENCHMARK, TOOLS = PANELS = ("Build a dataset", "Label", "Train", "Benchmark", "Tools")


class WorkflowGroup(TyperGroup):
    """Lists commands panel by panel in :data:`PANELS` order (in the order they were added within a
    panel); a command without a known panel comes last."""

    def list_commands(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        names = list(super().list_commands(ctx))

        def rank(name: str) -> int:
            panel = getattr(self.commands[name], "rich_help_panel", None)
            return PANELS.index(panel) if panel in PANELS else len(PANELS)

        return sorted(names, key=rank)


app = typer.Typer(
    name="atdkit",
    cls=WorkflowGroup,
    help="Animation frame-interpolation data and benchmarks: build a dataset (mine films or import "
         "ATD-12K), label it in the browser, benchmark methods on it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
