"""A run's history as pictures and tables, rewritten with every checkpoint: ``curves.png`` (training
L1 loss and validation PSNR against the step), ``history.csv`` and ``report.md`` (the recipe, where the
run stands, the curves)."""

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


def write_report(run_dir: Path, history: list[dict], recipe: dict, step: int, total: int) -> Path:
    """``report.md``: the recipe, the step reached, the latest loss and the best validation PSNR,
    and the curves (call after :func:`write`)."""
    losses = [h for h in history if "loss" in h]
    validations = [h for h in history if "val_psnr" in h]
    lines = ["# AnimeInterp training run", "",
             f"Step {step} of {total} ({'complete' if step == total else 'in progress or stopped'}).", ""]
    if losses:
        lines.append(f"Latest training L1 loss: {losses[-1]['loss']:.4f} (step {losses[-1]['step']}, "
                     f"{losses[-1]['triplets_per_s']:.2f} triplets/s).")
    if validations:
        best = max(validations, key=lambda h: h["val_psnr"])
        lines.append(f"Validation PSNR: latest {validations[-1]['val_psnr']:.2f} dB, best {best['val_psnr']:.2f} dB "
                     f"(step {best['step']}).")
    lines += ["", "![loss and validation PSNR](curves.png)", "", "| setting | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in recipe.items()]
    path = run_dir / "report.md"
    write_text(path, "\n".join(lines) + "\n")
    return path
