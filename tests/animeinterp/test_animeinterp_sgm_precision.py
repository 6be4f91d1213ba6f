"""The opt-in bfloat16 VGG-19 forward of SGM: named in the settings, the flows cache and the results
rows, float32 by default; its descriptors are float32 tensors close to (not equal to) float32's."""

import pandas as pd
import pytest
import torch

from atdkit.errors import BadArgument
from atdkit.methods.animeinterp import AnimeInterpSGM
from atdkit.methods.animeinterp.flows import ensure_flows, provenance
from atdkit.methods.animeinterp.sgm import SGM, label_maps
from atdkit.methods.animeinterp.sgm.descriptors import VGG19Features, VGGDescriptor, segment_means
from atdkit.methods.base import parse_method
from atdkit.store.dataset import DatasetRoot
from atdkit.store.frames import write_png
from cli_runner import run_cli


@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    """A torchvision-format VGG-19 features file with random weights (the released one cannot be fetched here)."""
    torch.manual_seed(11)
    path = tmp_path_factory.mktemp("vgg") / "vgg19-random.pth"
    torch.save(VGG19Features().state_dict(), path)
    return path


def test_float32_is_the_default_and_bfloat16_is_named_wherever_the_flows_are_recorded(vgg_file, tmp_path, make_cel):
    exact, fast = SGM(vgg=vgg_file, size=None), SGM(vgg=vgg_file, size=None, vgg_precision="bfloat16")
    assert exact.settings["descriptor"] == "vgg19" and fast.settings["descriptor"] == "vgg19-bfloat16"
    assert fast.settings["descriptor_sha256"] == exact.settings["descriptor_sha256"] is not None
    assert {k: v for k, v in fast.settings.items() if k != "descriptor"} == \
        {k: v for k, v in exact.settings.items() if k != "descriptor"}
    # results rows: the method's provenance and its parsed options
    assert AnimeInterpSGM(vgg=vgg_file).provenance()["sgm_descriptor"] == "vgg19"
    assert AnimeInterpSGM(vgg=vgg_file, sgm_precision="bfloat16").provenance()["sgm_descriptor"] == "vgg19-bfloat16"
    choice = parse_method("animeinterp-sgm:sgm_precision=bfloat16")
    assert dict(choice.options) == {"sgm_precision": "bfloat16"} and "sgm_precision=bfloat16" in choice.label
    with pytest.raises(BadArgument, match="sgm_precision"):
        parse_method("animeinterp:sgm_precision=float16")
    # the flows cache: bfloat16 flows are never served to a float32 SGM (nor the reverse)
    ds = one_triplet_root(tmp_path, make_cel)
    ensure_flows(ds, "film_1_2_3", fast)
    assert provenance(ds, "film_1_2_3")["descriptor"] == "vgg19-bfloat16"
    ensure_flows(ds, "film_1_2_3", exact)
    assert provenance(ds, "film_1_2_3")["descriptor"] == "vgg19"


def one_triplet_root(tmp_path, make_cel) -> DatasetRoot:
    ds = DatasetRoot.create(tmp_path / "root", "t")
    for k, path in enumerate(ds.frame_paths("film_1_2_3")):
        write_png(path, make_cel((8 * k, 2 * k)))
    ds.triplet_parts.append(pd.DataFrame([{"triplet_id": "film_1_2_3", "film_id": "film", "name": None,
                                           "width": 128, "height": 96}]))
    ds.materialize()
    return ds


def test_atdkit_sgm_vgg_precision_reaches_the_flows_record(vgg_file, tmp_path, make_cel, capsys):
    ds = one_triplet_root(tmp_path, make_cel)
    code, out, err = run_cli(["sgm", str(ds.path), "--vgg", str(vgg_file), "--vgg-precision", "bfloat16",
                              "--size", "native"], capsys)
    assert code == 0, out + err
    assert provenance(ds, "film_1_2_3")["descriptor"] == "vgg19-bfloat16"


def test_bfloat16_without_a_vgg_forward_or_of_an_unknown_name_is_refused(tmp_path, capsys):
    with pytest.raises(BadArgument, match="weight-free"):
        SGM(vgg=None, vgg_precision="bfloat16")
    with pytest.raises(BadArgument, match="float16"):
        SGM(vgg=None, vgg_precision="float16")
    ds = DatasetRoot.create(tmp_path / "root", "t")
    code, out, err = run_cli(["sgm", str(ds.path), "--vgg", "none", "--vgg-precision", "bfloat16"], capsys)
    assert code != 0 and "--vgg-precision bfloat16" in out + err
    assert not (ds.path / "flows").exists() or not any((ds.path / "flows").iterdir())


def test_bfloat16_descriptors_are_float32_tensors_within_one_percent_of_float32_on_a_real_pair(pigs_frames):
    torch.manual_seed(12)
    model = VGG19Features().eval().requires_grad_(False)
    exact, fast = VGGDescriptor(model), VGGDescriptor(model, precision="bfloat16")
    assert next(model.parameters()).dtype == torch.float32  # the caller's model is not converted
    f1, f3 = pigs_frames[0], pigs_frames[2]
    l1, l3 = label_maps(f1, f3, "disney")
    k = (int(l1.max()) + 1, int(l3.max()) + 1)
    for want, got in zip(exact((f1, f3), (l1, l3), k), fast((f1, f3), (l1, l3), k)):
        assert got.dtype == torch.float32 and got.shape == want.shape == (960, want.shape[1])
        rel = ((got - want).abs().max() / want.abs().max()).item()
        assert 1e-5 < rel < 1e-2  # bfloat16 rounding (8 significant bits), not float32's, and not more


def test_bfloat16_values_pool_chunk_by_chunk_to_the_sums_of_their_float32_copy(monkeypatch):
    from atdkit.methods.animeinterp.sgm import descriptors

    g = torch.Generator().manual_seed(13)
    values = torch.rand(2, 24, 30, 16, generator=g).to(torch.bfloat16).permute(3, 0, 1, 2)  # (C, B, H, W) channels-last
    labels = torch.randint(0, 50, (2, 24, 30), generator=g).numpy()
    want = segment_means(values.float(), labels, 52)
    monkeypatch.setattr(descriptors, "POOL_ROWS", 7)  # many chunks, one not full
    got = segment_means(values, labels, 52)
    assert got.dtype == torch.float32 and torch.equal(got, want)
    assert torch.all(got[:, 50:] == 0) and torch.any(got[:, :50] != 0)
