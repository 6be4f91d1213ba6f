"""``atdkit import-atd`` and ``atdkit export-atd``: the ATD-12K layout in and out."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from atdkit.cli.app import BUILD, TOOLS, app
from atdkit.cli.options import new_root_argument, root_argument


@app.command("import-atd", rich_help_panel=BUILD)
def import_atd(
    root: Path = new_root_argument(),
    src: Path = typer.Argument(..., help="ATD-12K folder (with test_2k_540p/, train_10k/, test_2k_annotations/ …)",
                               exists=True, file_okay=False),
    annotator: str = typer.Option(None, help="whom the folder's labels are credited to, stored as "
                                  "imported:NAME (machine-made, never a human vote; default: the folder's name)"),
) -> None:
    """Import ATD-12K triplets, labels (credited to imported:NAME) and SGM flows into ROOT."""
    from atdkit.interchange.atd12k import import_atd as run_import

    summary = run_import(src, root, annotator=annotator)
    typer.echo(f"imported {summary.n_triplets} triplets ({summary.n_labelled} labelled, "
               f"{summary.n_flows} with SGM flows) into {root}")
    for err in summary.errors:
        print(f"warning: {err}", file=sys.stderr)


@app.command("export-atd", rich_help_panel=TOOLS)
def export_atd(
    root: Path = root_argument(),
    out: Path = typer.Option(..., "--out", help="folder to write the ATD-12K layout into"),
    include_unaccepted: bool = typer.Option(False, "--include-unaccepted",
                                            help="also write rejected, pending and unresolved triplets"),
) -> None:
    """Write the accepted triplets in the ATD-12K layout with annotation JSON.

    Labels are the consensus where it exists, else the machine labels."""
    from atdkit.interchange.atd12k import export_atd as run_export

    counts = run_export(root, out, include_unaccepted=include_unaccepted)
    typer.echo(f"exported {counts['triplets']} triplets, {counts['annotations']} annotation files, "
               f"{counts['flows']} flow pairs to {out}; left out {counts['left_out']} not accepted "
               "(--include-unaccepted writes them)")
