"""``atdkit train animeinterp``: the paper's recipe, data order and augmentations, learning, exact resume,
and checkpoints the official code and ``atdkit bench`` read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from training_fixtures import training_root

from atdkit.errors import AtdkitError, BadArgument
from atdkit.methods.animeinterp.checkpoint import read_state_dict
from atdkit.methods.animeinterp.model import AnimeInterpNet
from atdkit.store.dataset import DatasetRoot
from atdkit.training import state
from atdkit.training.config import TrainConfig, phase_defaults
from atdkit.training.data import TrainingSamples, augmentation, epoch_order, prepare_cache
from atdkit.training.loop import Schedule, train

TINY = {"batch_size": 2, "resize": (96, 64), "crop": (64, 64)}
CLI_TINY = ["--batch-size", "2", "--resize", "96x64", "--crop", "64x64", "--workers", "0"]


def test_the_defaults_are_the_papers_recipe():
    one, two = phase_defaults(1), phase_defaults(2)
    assert (one.epochs, one.lr, one.milestones, one.gamma, one.use_sgm) == (200, 1e-4, (100, 150), 0.1, False)
    assert [one.lr_at(e) for e in (0, 99, 100, 149, 150, 199)] == pytest.approx([1e-4, 1e-4, 1e-5, 1e-5, 1e-6, 1e-6])
    assert (two.epochs, two.lr, two.batch_size, two.resize, two.crop) == (50, 1e-6, 16, (960, 540), (380, 380))
    assert two.use_sgm and two.flip and two.reverse and two.lr_at(49) == 1e-6
    with pytest.raises(BadArgument, match="larger than the resized frames"):
        TrainConfig(resize=(320, 180), crop=(380, 380))


def test_data_order_and_augmentations_are_functions_of_seed_and_slot():
    assert augmentation(0, 17, (960, 540), (380, 380), True, True) == augmentation(0, 17, (960, 540), (380, 380), True, True)
    draws = {augmentation(0, s, (960, 540), (380, 380), True, True) for s in range(200)}
    assert len(draws) > 150                                            # crops vary
    assert {d[2] for d in draws} == {True, False} == {d[3] for d in draws}  # both flips and both orders occur
    assert not any(d[2] or d[3] for d in (augmentation(0, s, (96, 64), (64, 64), False, False) for s in range(50)))
    order = epoch_order(3, 5, 40)
    assert sorted(order) == list(range(40)) and list(order) == list(epoch_order(3, 5, 40))
    assert list(order) != list(epoch_order(3, 6, 40))


def test_a_flipped_reversed_sample_is_the_same_crop_mirrored_with_flows_swapped_and_negated(tmp_path):
    root = training_root(tmp_path / "root", n_train=2, n_val=0)
    config = TrainConfig(phase=2, **TINY)
    cache = tmp_path / "cache"
    prepare_cache(root, ["t000", "t001"], cache, config.resize, with_flows=False)
    rng = np.random.default_rng(0)
    flows = rng.normal(size=(2, 2, 64, 96)).astype(np.float32)  # known flows: 13 then 31, x then y
    with np.load(cache / "t000.npz") as z:
        frames = z["frames"]
    np.savez(cache / "t000.npz", frames=frames, flows=flows)
    np.savez(cache / "t001.npz", frames=frames, flows=flows)
    samples = TrainingSamples(cache, ["t000", "t001"], config, per_epoch=2)
    slot = next(s for s in range(200) if augmentation(config.seed, s, config.resize, config.crop, True, True)[2:] == (True, True))
    x0, y0, _, _ = augmentation(config.seed, slot, config.resize, config.crop, True, True)
    f1, f2, f3, flow = samples[slot]
    crop = np.s_[y0:y0 + 64, x0:x0 + 64]
    expect_first = frames[2][crop][:, ::-1]          # reversed: frame 3 comes first; flipped: mirrored
    assert np.array_equal((f1.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), expect_first)
    assert np.array_equal((f3.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8), frames[0][crop][:, ::-1])
    expect31 = flows[1][:, crop[0], crop[1]][:, :, ::-1] * np.array([-1, 1], np.float32)[:, None, None]
    assert np.array_equal(flow[0].numpy(), expect31)  # the first flow is now 3→1, x negated by the flip
    assert f2.shape == (3, 64, 64)


def _l1_on(net: AnimeInterpNet, samples: TrainingSamples) -> float:
    with torch.no_grad():
        return float(np.mean([(net(a[None], c[None], None, None, 0.5)[0].clamp(0, 1) - b[None]).abs().mean()
                              for a, b, c, _ in samples]))


def test_a_few_dozen_steps_reduce_the_training_l1_loss(tmp_path):
    root = training_root(tmp_path / "root", n_train=6, n_val=1)
    config = TrainConfig(phase=1, epochs=8, lr=2e-4, use_sgm=False, **TINY)  # 3 steps an epoch: 24 steps
    result = train(root.path, tmp_path / "run", config, schedule=Schedule(log_every=3), progress=False)
    assert result.step == result.total_steps == 24 and (tmp_path / "run" / state.FINAL).is_file()
    fixed = TrainConfig.from_dict({**config.as_dict(), "crop": [96, 64], "flip": False, "reverse": False, "epochs": 1})
    evaluation = TrainingSamples(tmp_path / "run" / "cache" / "96x64", [f"t{i:03d}" for i in range(6)], fixed, 6)
    torch.manual_seed(config.seed)
    before = _l1_on(AnimeInterpNet().eval(), evaluation)
    trained = AnimeInterpNet()
    trained.load_state_dict(read_state_dict(tmp_path / "run" / state.FINAL))
    after = _l1_on(trained.eval(), evaluation)
    assert after < 0.6 * before, (before, after)  # stated margin: at least 40 % lower
    losses = [h["loss"] for h in result.history if "loss" in h]
    assert losses[-1] < losses[0]
    assert any("val_psnr" in h for h in result.history)  # validated after each epoch on the 'test' split
    assert (tmp_path / "run" / "curves.png").stat().st_size > 1000
    report = (tmp_path / "run" / "report.md").read_text()
    assert "Step 24 of 24 (complete)" in report and "Validation PSNR" in report and "| lr | 0.0002 |" in report


def _cli(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "atdkit", "train", "animeinterp", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_weights_bit_for_bit(tmp_path):
    root = training_root(tmp_path / "root", n_train=6, n_val=1)
    common = [root.path, "--phase", "1", "--epochs", "3", "--checkpoint-every", "1", "--log-every", "1", *CLI_TINY]
    straight = _cli(*common, "--out", tmp_path / "a")
    out, err = straight.communicate(timeout=900)
    assert straight.returncode == 0, err
    assert "step 9 of 9, complete" in out

    killed = _cli(*common, "--out", tmp_path / "b")
    deadline = time.monotonic() + 600
    while not (tmp_path / "b" / state.CHECKPOINT).is_file():
        assert killed.poll() is None and time.monotonic() < deadline, killed.stderr.read() if killed.poll() else ""
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / "b" / state.FINAL).is_file()  # it really was killed before the end
    reached = torch.load(tmp_path / "b" / state.CHECKPOINT, weights_only=True)[state.TRAINING_KEY]["step"]
    assert 1 <= reached < 9
    resumed = _cli(*common, "--out", tmp_path / "b")
    out, err = resumed.communicate(timeout=900)
    assert resumed.returncode == 0 and "step 9 of 9, complete" in out, err

    a, b = read_state_dict(tmp_path / "a" / state.FINAL), read_state_dict(tmp_path / "b" / state.FINAL)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    history = [torch.load(d / state.CHECKPOINT, weights_only=True)[state.TRAINING_KEY]["history"] for d in
               (tmp_path / "a", tmp_path / "b")]
    strip = [[{k: v for k, v in h.items() if k != "triplets_per_s"} for h in run] for run in history]
    assert strip[0] == strip[1]  # the same losses and validation PSNRs, step by step


def test_resuming_with_another_recipe_is_refused_in_one_line(tmp_path):
    root = training_root(tmp_path / "root", n_train=2, n_val=0)
    config = TrainConfig(phase=1, epochs=1, use_sgm=False, **TINY)
    train(root.path, tmp_path / "run", config, progress=False)
    other = TrainConfig.from_dict({**config.as_dict(), "lr": 5e-5})
    with pytest.raises(AtdkitError, match=r"other settings \(lr\)") as err:
        train(root.path, tmp_path / "run", other, progress=False)
    assert "\n" not in str(err.value)


def test_the_checkpoint_is_the_official_layout_and_bench_scores_it(tmp_path):
    root = training_root(tmp_path / "root", n_train=2, n_val=0)
    train(root.path, tmp_path / "run", TrainConfig(phase=1, epochs=1, use_sgm=False, **TINY), progress=False)
    saved = torch.load(tmp_path / "run" / state.CHECKPOINT, weights_only=True)
    names = saved["model_state_dict"]
    assert len(names) == 220 and all(k.startswith("module.") for k in names)
    assert {k.split(".")[1] for k in names} == {"flownet", "feat_ext", "synnet"}
    expected = {"module." + k: tuple(v.shape) for k, v in AnimeInterpNet().state_dict().items()}
    assert {k: tuple(v.shape) for k, v in names.items()} == expected

    one = DatasetRoot.create(tmp_path / "one", name="one")  # bench at 960×540 working size: one triplet
    import shutil

    shutil.copytree(root.frames_dir("t000"), one.frames_dir("t000"))
    one.triplet_parts.append(root.triplets().head(1), name="film")
    one.materialize()
    ckpt = tmp_path / "run" / state.CHECKPOINT
    done = subprocess.run([sys.executable, "-m", "atdkit", "bench", str(one.path), "-m", "animeinterp:use_sgm=false",
                           "--weights", f"animeinterp-full={ckpt}", "--out", str(tmp_path / "bench"), "--size", "native"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    import hashlib
    import json

    import pandas as pd

    rows = pd.read_parquet(tmp_path / "bench" / "results.parquet")
    assert len(rows) >= 1 and rows["error"].isna().all()
    recorded = json.loads(rows["weights_sha256"].iloc[0])
    assert recorded == {"animeinterp-full": hashlib.sha256(ckpt.read_bytes()).hexdigest()}


def test_phase_two_trains_on_sgm_flows_computed_once_into_the_root(tmp_path):
    from atdkit.methods.animeinterp.flows import has_flows, provenance
    from atdkit.methods.animeinterp.sgm import SGM

    root = training_root(tmp_path / "root", n_train=2, n_val=0)
    sgm = SGM(vgg=None, size=None)  # the weight-free descriptor at the frames' size: quick
    result = train(root.path, tmp_path / "run", TrainConfig(phase=2, epochs=1, **TINY), sgm=sgm, progress=False)
    assert result.step == 1
    for tid in ("t000", "t001"):
        assert has_flows(root, tid) and provenance(root, tid)["descriptor"] == sgm.settings["descriptor"]
        with np.load(tmp_path / "run" / "cache" / "96x64" / f"{tid}.npz") as z:
            assert z["flows"].shape == (2, 2, 64, 96) and z["frames"].shape == (3, 64, 96, 3)


def test_too_few_triplets_for_a_batch_and_amp_without_cuda_are_one_line_errors(tmp_path):
    root = training_root(tmp_path / "root", n_train=1, n_val=0)
    with pytest.raises(AtdkitError, match="fewer than one batch of 2"):
        train(root.path, tmp_path / "run", TrainConfig(phase=1, use_sgm=False, **TINY), progress=False)
    with pytest.raises(BadArgument, match="needs a CUDA device"):
        train(root.path, tmp_path / "run", TrainConfig(phase=1, use_sgm=False, **TINY), amp=True, progress=False)
