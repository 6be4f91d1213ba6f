"""SGM flows cached in the dataset root, imported official flows, the CLI, and animeinterp-sgm."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from atdkit.errors import BadInput
from atdkit.methods.animeinterp import AnimeInterpSGM
from atdkit.methods.animeinterp.flows import (
    FLOW13,
    FLOW31,
    ensure_flows,
    flow_paths,
    import_flows,
    load_flows,
    provenance,
    read_flow,
    resize_flow,
)
from atdkit.methods.animeinterp.sgm import SGM, SGM_VERSION
from atdkit.methods.base import TripletContext
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png


@pytest.fixture
def root(tmp_path, make_cel):
    ds = DatasetRoot.create(tmp_path / "root", "t")
    rows = []
    for i, (tid, name) in enumerate((("film-a_1_2_3", "Disney_v4_0_Scene1"), ("film-a_5_6_7", None))):
        for k, path in enumerate(ds.frame_paths(tid)):
            write_png(path, make_cel((8 * k, 2 * k)))
        rows.append({"triplet_id": tid, "film_id": "film-a", "name": name, "width": 128, "height": 96})
    ds.triplet_parts.append(pd.DataFrame(rows))
    ds.materialize()
    return ds


class Refuse:
    """An SGM of given settings that must not run (the cache answers)."""

    def __init__(self, settings):
        self.settings = settings

    def __call__(self, *args):
        raise AssertionError("SGM must not run when flows are cached")


def test_ensure_flows_computes_once_then_reuses(root):
    sgm = SGM(vgg=None, style="japanese", size=None)
    f13, f31 = ensure_flows(root, "film-a_1_2_3", sgm)
    assert all(p.is_file() for p in flow_paths(root, "film-a_1_2_3"))
    c13, c31 = ensure_flows(root, "film-a_1_2_3", Refuse(sgm.settings))
    assert np.array_equal(c13, f13) and np.array_equal(c31, f31)
    assert provenance(root, "film-a_1_2_3") == {"source": "computed", "version": SGM_VERSION, "descriptor": "colour-shape",
                                                "descriptor_sha256": None, "style": "japanese", "size": None}
    saved = np.load(flow_paths(root, "film-a_1_2_3")[0])
    assert saved.shape == (2, 96, 128) and saved.dtype == np.float32
    assert load_flows(root, "film-a_5_6_7") is None


def test_flows_of_other_settings_or_unrecorded_are_computed_again_never_used(root, capsys):
    tid = "film-a_1_2_3"
    ensure_flows(root, tid, SGM(vgg=None, style="japanese", size=None))
    other = SGM(vgg=None, style="disney", size=None)
    with pytest.raises(AssertionError, match="must not run"):  # other settings: the cache is not used
        ensure_flows(root, tid, Refuse(other.settings))
    assert "made with other SGM settings (style 'japanese')" in capsys.readouterr().err
    ensure_flows(root, tid, other)
    assert provenance(root, tid)["style"] == "disney"
    other_weights = dict(other.settings, descriptor="vgg19", descriptor_sha256="ab" * 32)
    with pytest.raises(AssertionError, match="must not run"):
        ensure_flows(root, tid, Refuse(other_weights))
    older_code = dict(other.settings, version=SGM_VERSION - 1)  # flows of an earlier SGM: not reused
    with pytest.raises(AssertionError, match="must not run"):
        ensure_flows(root, tid, Refuse(older_code))
    (flow_paths(root, tid)[0].parent / "sgm.json").unlink()
    with pytest.raises(AssertionError, match="must not run"):
        ensure_flows(root, tid, Refuse(other.settings))
    assert "no record of how they were made" in capsys.readouterr().err


def test_animeinterp_provenance_names_its_sgm():
    method = AnimeInterpSGM(vgg=None, style="japanese")
    assert method.provenance() == {"sgm_version": str(SGM_VERSION), "sgm_descriptor": "colour-shape", "sgm_descriptor_sha256": "None",
                                   "sgm_style": "japanese", "sgm_size": "[960, 540]"}


def test_import_official_float64_flows_by_folder_name(root, tmp_path):
    src = tmp_path / "test_2k_pre_calc_sgm_flows"
    (src / "Disney_v4_0_Scene1").mkdir(parents=True)
    (src / "unrelated").mkdir()
    flow = np.random.default_rng(0).normal(size=(2, 540, 960))
    np.save(src / "Disney_v4_0_Scene1" / FLOW13, flow)
    np.save(src / "Disney_v4_0_Scene1" / FLOW31, -flow)
    np.save(src / "unrelated" / FLOW13, flow)
    assert import_flows(src, root) == {"film-a_1_2_3": "imported"}
    assert provenance(root, "film-a_1_2_3")["source"] == "imported"
    f13, f31 = load_flows(root, "film-a_1_2_3")
    np.testing.assert_allclose(f13, flow, rtol=1e-6)
    assert import_flows(src, root) == {"film-a_1_2_3": "kept"}
    np.save(src / "Disney_v4_0_Scene1" / FLOW31, np.zeros((3, 4, 5)))
    with pytest.raises(BadInput, match="guide_flo31.npy"):
        import_flows(src, root, overwrite=True)
    np.testing.assert_allclose(load_flows(root, "film-a_1_2_3")[1], -flow, rtol=1e-6)  # nothing half-written


def test_read_flow_rejects_bad_files(tmp_path):
    np.save(tmp_path / "nan.npy", np.full((2, 3, 4), np.nan))
    with pytest.raises(BadInput, match="NaN"):
        read_flow(tmp_path / "nan.npy")
    (tmp_path / "junk.npy").write_bytes(b"junk")
    with pytest.raises(BadInput, match="junk.npy"):
        read_flow(tmp_path / "junk.npy")


def test_resize_flow_scales_vectors_with_the_grid():
    flow = np.ones((2, 540, 960), np.float32)
    out = resize_flow(flow, 480, 135)
    assert out.shape == (2, 135, 480)
    assert np.allclose(out[0], 0.5) and np.allclose(out[1], 0.25)


def test_cli_computes_missing_flows_and_imports(root, tmp_path):
    cmd = [sys.executable, "-m", "atdkit", "sgm", str(root.path), "--vgg", "none", "--line-style", "japanese",
           "--size", "native"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "2 computed" in done.stdout
    again = subprocess.run(cmd + ["--preview"], capture_output=True, text=True, timeout=300)
    assert "0 computed, 2 already cached" in again.stdout
    picture = root.flows_dir("film-a_1_2_3") / "guide_flo13.png"
    assert picture.is_file() and picture.stat().st_size > 100
    bad = subprocess.run([sys.executable, "-m", "atdkit", "sgm-import", str(root.path), str(tmp_path / "nope")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().startswith("error: ") and "nope" in bad.stderr


def test_flow_picture_colours_direction_and_length():
    from atdkit.methods.animeinterp.sgm.visualise import flow_image, segment_image

    flow = np.zeros((2, 4, 6), np.float32)
    flow[0, :, 3:] = 5.0  # right half moves right
    img = flow_image(flow)
    assert img.shape == (4, 6, 3) and img.dtype == np.uint8
    assert np.all(img[:, :3] == 0) and np.all(img[:, 3:].max(axis=2) == 255)
    seg = segment_image(np.array([[0, 1], [1, 2]]), matched=np.array([True, False, True]))
    assert np.all(seg[0, 1] == 255)


def psnr(a, b):
    return -10 * np.log10(np.mean((a - b) ** 2))


def test_animeinterp_sgm_beats_blending_on_a_translated_cel(cel_pair, root):
    frame1, frame2, frame3 = cel_pair
    method = AnimeInterpSGM(vgg=None, style="japanese", sgm_size=None)
    out = method.interpolate(frame1, frame3, 0.5)
    gt = frame2 / 255.0
    blend = (frame1 / 255.0 + frame3 / 255.0) / 2
    assert out.shape == gt.shape and out.dtype == np.float32
    assert psnr(out, gt) > psnr(blend, gt) + 3
    cached = method.interpolate(frame1, frame3, 0.5, context=TripletContext(root.path, "film-a_1_2_3"))
    assert load_flows(root, "film-a_1_2_3") is not None
    assert psnr(cached, gt) > psnr(blend, gt) + 3
