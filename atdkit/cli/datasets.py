"""``atdkit import-atd`` and ``atdkit export-atd``: the ATD-12K layout in and out."""

from __future__ import annotations

from pathlib import Path

import typer

from atdkit.cli.app import app


@app.command("import-atd")
def import_atd(
    src: Path = typer.Argument(..., help="ATD-12K folder (with test_2k_540p/, train_10k/, test_2k_annotations/ …)"),
    out: Path = typer.Option(..., "--out", help="dataset root to create or add to"),
) -> None:
    """Import ATD-12K triplets, labels (machine annotator atd12k-official) and SGM flows."""
    from atdkit.interchange.atd12k import import_atd as run_import

    summary = run_import(src, out)
    typer.echo(f"imported {summary.n_triplets} triplets ({summary.n_labelled} labelled, "
                  f"{summary.n_flows} with SGM flows) into {out}")
    for err in summary.errors:
        typer.echo(f"warning: {err}")


@app.command("export-atd")
def export_atd(
    root: Path = typer.Argument(..., help="dataset root"),
    out: Path = typer.Option(..., "--out", help="folder to write the ATD-12K layout into"),
    include_unaccepted: bool = typer.Option(False, "--include-unaccepted",
                                            help="also write rejected, pending and unresolved triplets"),
) -> None:
    """Write the accepted triplets in the ATD-12K layout with annotation JSON (consensus labels
    where they exist, else machine labels)."""
    from atdkit.interchange.atd12k import export_atd as run_export

    counts = run_export(root, out, include_unaccepted=include_unaccepted)
    typer.echo(f"exported {counts['triplets']} triplets, {counts['annotations']} annotation files, "
                  f"{counts['flows']} flow pairs to {out}; left out {counts['left_out']} not accepted "
                  "(--include-unaccepted writes them)")
