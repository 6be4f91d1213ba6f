"""A run's history as pictures and a table: ``curves.png`` (training L1 loss and validation PSNR
against the step) and ``history.csv``, rewritten with every checkpoint."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from atdkit.store.atomic import atomic_path, write_text


def write(run_dir: Path, history: list[dict]) -> Path:
    """Write ``history.csv`` and ``curves.png`` into ``run_dir``; returns the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = pd.DataFrame(history)
    write_text(run_dir / "history.csv", table.to_csv(index=False))
    fig, loss_axis = plt.subplots(figsize=(7, 3.5), dpi=110)
    if "loss" in table:
        rows = table.dropna(subset=["loss"])
        loss_axis.plot(rows["step"], rows["loss"], color="tab:blue", label="training L1 loss")
    loss_axis.set_xlabel("step")
    loss_axis.set_ylabel("L1 loss (frame in [0, 1])", color="tab:blue")
    if "val_psnr" in table and table["val_psnr"].notna().any():
        rows = table.dropna(subset=["val_psnr"])
        psnr_axis = loss_axis.twinx()
        psnr_axis.plot(rows["step"], rows["val_psnr"], "o-", color="tab:red", label="validation PSNR")
        psnr_axis.set_ylabel("validation PSNR (dB)", color="tab:red")
    loss_axis.set_title("AnimeInterp training")
    fig.tight_layout()
    path = run_dir / "curves.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
