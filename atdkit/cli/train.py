"""``atdkit train animeinterp ROOT --out RUN_DIR``: AnimeInterp's two training phases, resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer

from atdkit.cli.app import TRAIN, app
from atdkit.cli.options import parse_size, root_argument
from atdkit.errors import BadArgument
from atdkit.training.config import help_text, phase_defaults

train_app = typer.Typer(help="Train a method on a dataset root (resumable; checkpoints in the official format).",
                        no_args_is_help=True)
app.add_typer(train_app, name="train", rich_help_panel=TRAIN)
Phase = Literal["1", "2"]


def _paper(name: str) -> str:
    one, two = (getattr(phase_defaults(p), name) for p in (1, 2))
    show = (lambda v: "x".join(map(str, v)) if name in ("resize", "crop") else
            (",".join(map(str, v)) or "none") if isinstance(v, tuple) else v)
    same = f"paper: {show(one)}" if one == two else f"paper: {show(one)} in phase 1, {show(two)} in phase 2"
    return f"{help_text(name)} ({same})"


@train_app.command("animeinterp")
def animeinterp(
    root: Path = root_argument(),
    out: Path = typer.Option(..., "--out", help="run folder: checkpoint.ckpt, final.ckpt, curves.png, frame cache"),
    phase: Phase = typer.Option("2", help="1: without SGM (real video); 2: the whole system with SGM flows"),
    epochs: int = typer.Option(None, help=_paper("epochs")),
    lr: float = typer.Option(None, help=_paper("lr")),
    milestones: str = typer.Option(None, help=_paper("milestones") + ", comma-separated"),
    gamma: float = typer.Option(None, help=_paper("gamma")),
    batch_size: int = typer.Option(None, help=_paper("batch_size")),
    resize: str = typer.Option(None, help=_paper("resize")),
    crop: str = typer.Option(None, help=_paper("crop")),
    flip: bool = typer.Option(None, "--flip/--no-flip", help=_paper("flip")),
    reverse: bool = typer.Option(None, "--reverse/--no-reverse", help=_paper("reverse")),
    sgm: bool = typer.Option(None, "--sgm/--no-sgm", help=_paper("use_sgm")),
    seed: int = typer.Option(0, help=help_text("seed")),
    train_split: str = typer.Option("train", help=help_text("train_split")),
    val_split: str = typer.Option("test", help=help_text("val_split")),
    init: Path = typer.Option(None, help="start from this AnimeInterp checkpoint (official format; e.g. phase 1's "
                              "final.ckpt or the released anime_interp_full.ckpt)", exists=True, dir_okay=False),
    rfr_init: Path = typer.Option(None, help="RAFT-style weights for RFR (e.g. raft-sintel.pth), phase 1",
                                  exists=True, dir_okay=False),
    checkpoint_every: int = typer.Option(500, help="steps between checkpoints (a kill loses at most these)"),
    log_every: int = typer.Option(10, help="steps between loss records"),
    val_every: int = typer.Option(1, help="epochs between validations"),
    val_limit: int = typer.Option(None, help="validate on at most this many triplets"),
    max_steps: int = typer.Option(None, help="stop after this many steps in all (rerun with more to continue)"),
    device: str = typer.Option("cpu", help="cpu or cuda[:N]"),
    amp: bool = typer.Option(False, help="mixed precision (bfloat16 autocast; CUDA only)"),
    workers: int = typer.Option(2, help="data-loading processes"),
) -> None:
    """AnimeInterp (the authors never released their training code): the paper's recipe by default."""
    from atdkit.training.config import TrainConfig
    from atdkit.training.loop import Schedule, train

    base = phase_defaults(int(phase)).as_dict()
    given = {"epochs": epochs, "lr": lr, "gamma": gamma, "batch_size": batch_size, "flip": flip, "reverse": reverse,
             "use_sgm": sgm, "seed": seed, "train_split": train_split, "val_split": val_split}
    if milestones is not None:
        try:
            given["milestones"] = [int(m) for m in milestones.split(",") if m.strip()]
        except ValueError:
            raise BadArgument(f"--milestones {milestones!r}: expected comma-separated epochs, e.g. 100,150") from None
    for name, text in (("resize", resize), ("crop", crop)):
        if text is not None:
            given[name] = list(parse_size(text))
    config = TrainConfig.from_dict({**base, **{k: v for k, v in given.items() if v is not None}})
    schedule = Schedule(checkpoint_every=checkpoint_every, log_every=log_every, val_every_epochs=val_every,
                        val_limit=val_limit, max_steps=max_steps)
    result = train(root, out, config, device=device, init=init, rfr_init=rfr_init, schedule=schedule,
                   workers=workers, amp=amp)
    last = next((h["loss"] for h in reversed(result.history) if "loss" in h), float("nan"))
    done = "complete" if result.step == result.total_steps else f"stopped (rerun to continue to {result.total_steps})"
    print(f"{result.run_dir}: step {result.step} of {result.total_steps}, {done}; last L1 loss {last:.4f}; "
          f"checkpoint {result.checkpoint} (bench it: atdkit bench ROOT -m animeinterp "
          f"--weights animeinterp-full={result.checkpoint})")
