"""Train AnimeInterp on a dataset root: L1 on the middle frame, Adam, resumable step for step.

:func:`train` prepares the frame cache, restores ``<run>/checkpoint.ckpt`` when one exists (same
recipe only), then runs steps ``state.step … end``; sample ``i`` of step ``s`` is slot
``s × batch + i`` of :class:`~atdkit.training.data.TrainingSamples`, so a resumed run sees the
same batches as an uninterrupted one. On CPU with one thread count the weights after a kill and
a resume are bit-identical to those of an uninterrupted run (a test checks it).

Mixed precision (``amp``, CUDA only): the forward runs under ``torch.autocast`` in bfloat16
(no loss scaling needed); the master weights, Adam's state, the loss and the splatting sums
(:mod:`atdkit.ops.splatting` accumulates half inputs in float32) stay float32, and RFR's
correlation volume is computed from float32 features. Not verified on a GPU here.
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from atdkit.errors import BadArgument, BadInput
from atdkit.methods.animeinterp.model import AnimeInterpNet
from atdkit.store.dataset import DatasetRoot
from atdkit.training import curves, state
from atdkit.training.config import TrainConfig
from atdkit.training.data import TrainingSamples, prepare_cache, split_ids
from atdkit.training.init import load_initial_weights


@dataclass(frozen=True)
class Schedule:
    """How often things happen, in steps (none of it changes the weights)."""

    checkpoint_every: int = 500
    log_every: int = 10
    val_every_epochs: int = 1
    val_limit: int | None = None      # validation triplets used (None: all)
    max_steps: int | None = None      # stop early (a smoke run); resumable like a kill


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    total_steps: int
    history: list[dict]

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / state.CHECKPOINT


def _forward(net: AnimeInterpNet, f1, f3, flows, use_sgm: bool):
    inits = (flows[:, 0], flows[:, 1]) if use_sgm else (None, None)
    return net(f1, f3, *inits, 0.5)[0]


def psnr(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR in dB of images in [0, 1] (the prediction clamped first)."""
    mse = float(torch.mean((prediction.clamp(0, 1) - target) ** 2))
    return math.inf if mse == 0 else -10.0 * math.log10(mse)


@torch.no_grad()
def validate(net: AnimeInterpNet, samples: TrainingSamples, device: str, use_sgm: bool) -> float:
    """Mean PSNR over ``samples`` (whole resized frames, no augmentation)."""
    net.eval()
    values = []
    for f1, f2, f3, flows in (samples[i] for i in range(len(samples))):
        out = _forward(net, f1[None].to(device), f3[None].to(device), flows[None].to(device), use_sgm)
        values.append(psnr(out, f2[None].to(device)))
    net.train()
    return float(np.mean(values))


def train(root_path: str | Path, run_dir: str | Path, config: TrainConfig, *, device: str = "cpu",
          init: str | Path | None = None, rfr_init: str | Path | None = None, schedule: Schedule = Schedule(),
          workers: int = 0, amp: bool = False, sgm=None, progress: bool = True) -> TrainResult:
    """Train (or resume) a run in ``run_dir`` on ``root_path``'s ``config.train_split`` triplets."""
    run_dir = Path(run_dir)
    root = DatasetRoot.open(root_path)
    if amp and not device.startswith("cuda"):
        raise BadArgument("--amp needs a CUDA device (--device cuda)")
    train_ids, val_ids = split_ids(root, config)
    if len(train_ids) < config.batch_size:
        raise BadInput(f"{root.path}: {len(train_ids)} triplet(s) in split {config.train_split!r}, fewer than "
                       f"one batch of {config.batch_size}")
    val_ids = val_ids[: schedule.val_limit] if schedule.val_limit is not None else val_ids

    torch.manual_seed(config.seed)
    net = AnimeInterpNet()
    run_dir.mkdir(parents=True, exist_ok=True)
    restored = state.resume(run_dir, net, config)
    if restored is None:
        load_initial_weights(net, init, rfr_init)
        restored = state.RunState()
    net.to(device).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
    if restored.optimizer is not None:
        optimizer.load_state_dict(restored.optimizer)

    cache = run_dir / "cache" / f"{config.resize[0]}x{config.resize[1]}"
    ids = sorted(set(train_ids) | set(val_ids))
    with tqdm(total=len(ids), desc="decode frames" + (" + SGM flows" if config.use_sgm else ""),
              disable=not progress, unit="triplet", file=sys.stderr) as bar:
        prepare_cache(root, ids, cache, config.resize, config.use_sgm, sgm, tick=lambda: bar.update())

    per_epoch = len(train_ids) // config.batch_size
    total = per_epoch * config.epochs
    end = total if schedule.max_steps is None else min(total, schedule.max_steps)
    samples = TrainingSamples(cache, train_ids, config, per_epoch * config.batch_size)
    loader = torch.utils.data.DataLoader(
        samples, batch_size=config.batch_size, sampler=range(restored.step * config.batch_size, end * config.batch_size),
        num_workers=workers, pin_memory=device.startswith("cuda"))
    val_config = TrainConfig.from_dict({**config.as_dict(), "crop": list(config.resize), "flip": False,
                                        "reverse": False, "epochs": 1})
    validation = TrainingSamples(cache, val_ids, val_config, len(val_ids)) if val_ids else None

    step, history = restored.step, restored.history
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if amp else nullcontext()
    losses, started, seen = [], time.perf_counter(), 0
    bar = tqdm(total=end, initial=step, desc="train", disable=not progress, unit="step", file=sys.stderr)
    for f1, f2, f3, flows in loader:
        epoch = step // per_epoch
        for group in optimizer.param_groups:
            group["lr"] = config.lr_at(epoch)
        f1, f2, f3, flows = (x.to(device, non_blocking=True) for x in (f1, f2, f3, flows))
        with autocast:
            out = _forward(net, f1, f3, flows, config.use_sgm)
        loss = (out.float() - f2).abs().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        losses.append(loss.item())
        seen += f1.shape[0]
        if step % schedule.log_every == 0 or step == end:
            elapsed = time.perf_counter() - started
            history.append({"step": step, "epoch": epoch, "loss": float(np.mean(losses)), "lr": config.lr_at(epoch),
                            "triplets_per_s": seen / elapsed if elapsed > 0 else 0.0})
            bar.set_postfix(loss=f"{history[-1]['loss']:.4f}", lr=f"{config.lr_at(epoch):.1e}",
                            rate=f"{history[-1]['triplets_per_s']:.2f} triplet/s")
            losses, started, seen = [], time.perf_counter(), 0
        if validation is not None and step % per_epoch == 0 and (step // per_epoch) % schedule.val_every_epochs == 0:
            history.append({"step": step, "epoch": epoch, "val_psnr": validate(net, validation, device, config.use_sgm)})
        if step % schedule.checkpoint_every == 0 or step == end:
            state.save(run_dir, net, optimizer, config, state.RunState(step, history))
            curves.write(run_dir, history)
            curves.write_report(run_dir, history, config.as_dict(), step, total)
        bar.update()
    bar.close()
    if step == total:
        state.save_final(run_dir, net)
    return TrainResult(run_dir, step, total, history)
