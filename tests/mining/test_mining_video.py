"""Reading films with both backends, and one clear error per kind of bad input."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from mining_helpers import GIF, WEBM, write_gray, write_tiny, write_vfr, write_zero_frames

from atdkit.errors import BadInput
from atdkit.video import BACKENDS, open_video
from atdkit.video.probe import packet_times
from atdkit.video.writer import write_h264


def _frames(film):
    return list(open_video(film, "pyav"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_synthetic_mp4_metadata_iteration_and_random_access(small_film, backend):
    r = open_video(small_film, backend)
    assert r.backend == backend
    assert (r.width, r.height, r.n_frames, r.fps) == (320, 180, 60, 24.0)
    assert r.duration == pytest.approx(2.5)
    frames = list(r)
    assert len(frames) == 60 and frames[0].dtype == np.uint8 and frames[0].shape == (180, 320, 3)
    for i in (0, 1, 31, 59, -1):
        assert np.array_equal(r[i], frames[i])
    with pytest.raises(IndexError):
        r[60]


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_random_access_leaves_no_decoding_running_behind_it(tmp_path, small_film, backend):
    """decord's decoder thread reads ahead after a random access (see atdkit.video.backends.decord);
    the reader stops it, so reading one frame of a long film costs neither memory nor a core."""
    film = tmp_path / "long.mp4"
    assert write_h264(film, _frames(small_film) * 30) == 1800  # ≈300 MB as RGB frames, ≈1 s to decode
    with open_video(film, backend) as reader:
        reader[450]
        before, cpu = _rss_mb(), time.process_time()
        time.sleep(0.5)
        assert time.process_time() - cpu < 0.25  # no thread decoding on (it would take a core)
        assert _rss_mb() - before < 30  # and no frames piling up in memory


def test_the_sequential_reader_decodes_and_converts_on_the_calling_thread(small_film):
    """The miner's pass (PyAV) starts no helper threads: swscale's default, one conversion thread per
    CPU, made each frame wait for threads that the other mining workers keep off the CPUs."""
    def threads() -> int:
        return len(os.listdir("/proc/self/task"))

    with open_video(small_film, sequential=True) as reader:
        before = threads()
        during = [threads() for _, _ in zip(range(8), reader)]
    assert max(during) == before


def test_backends_agree_on_the_same_files(small_film):
    for film in (small_film, WEBM):
        a, b = list(open_video(film, "decord")), list(open_video(film, "pyav"))
        assert len(a) == len(b)
        diff = max(float(np.abs(x.astype(int) - y.astype(int)).mean()) for x, y in zip(a, b))
        assert diff < 1.0  # same FFmpeg decoder; only the YUV→RGB conversion may round differently


def test_real_clips_gif_only_through_pyav():
    with pytest.raises(BadInput, match="pigs_in_a_polka.gif: not a readable video"):
        open_video(GIF, "decord")  # decord cannot measure a GIF's frame count
    r = open_video(GIF)  # auto falls back to PyAV
    assert (r.backend, r.n_frames, r.width, r.height, r.fps) == ("pyav", 30, 314, 273, 10.0)
    frames = list(r)
    assert len(frames) == 30 and frames[0].shape == (273, 314, 3)
    assert "grayscale" in " ".join(r.notes) and "odd dimensions" in " ".join(r.notes)
    assert np.array_equal(r[17], frames[17])
    webm = open_video(WEBM)
    assert (webm.backend, webm.n_frames, webm.width, webm.height, webm.fps) == ("decord", 24, 1280, 720, 24.0)


def _bad_files(tmp_path, small_film):
    frames = _frames(small_film)[:20]
    ok = tmp_path / "ok.mp4"
    write_h264(ok, frames)
    fast = tmp_path / "fast.mp4"
    write_h264(fast, frames, faststart=True)
    data = fast.read_bytes()
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "notes.mp4").write_text("these are notes, not a video\n")
    (tmp_path / "truncated.mp4").write_bytes(ok.read_bytes()[: ok.stat().st_size // 2])
    (tmp_path / "cut_short.mp4").write_bytes(data[: len(data) * 6 // 10])
    corrupt = bytearray(data)
    corrupt[len(data) // 3: len(data) // 3 + 3000] = bytes(3000)
    (tmp_path / "corrupt.mp4").write_bytes(bytes(corrupt))
    write_vfr(tmp_path / "vfr.mkv", frames)
    write_zero_frames(tmp_path / "zero.mkv")
    write_tiny(tmp_path / "tiny.mkv")
    return {
        "missing.mp4": "file not found",
        "empty.mp4": "empty file",
        "notes.mp4": "not a readable video",
        "truncated.mp4": "not a readable video",
        "cut_short.mp4": "truncated",
        "corrupt.mp4": "decoding failed at frame",
        "vfr.mkv": "variable frame rate",
        "zero.mkv": "zero frames",
        "tiny.mkv": "too small",
    }


@pytest.mark.parametrize("backend", ("auto", *BACKENDS))
def test_each_bad_input_gets_one_line_naming_the_file(tmp_path, small_film, backend):
    for name, problem in _bad_files(tmp_path, small_film).items():
        path = tmp_path / name
        with pytest.raises(BadInput) as info:
            list(open_video(path, backend))
        msg = str(info.value)
        assert "\n" not in msg and msg.startswith(str(path)), msg
        if backend == "decord" and name == "zero.mkv":
            assert "not a readable video" in msg  # decord cannot open a stream without frames
        elif backend == "decord" and name in ("corrupt.mp4", "cut_short.mp4"):
            assert "decoding failed" in msg or "not a readable video" in msg  # decord may fail while opening
        else:
            assert problem in msg, (backend, msg)


def test_grayscale_and_odd_sizes_are_read_as_rgb_with_a_note(tmp_path, small_film):
    frames = _frames(small_film)[:6]
    gray = write_gray(tmp_path / "gray.mkv", frames)
    for backend in BACKENDS:
        r = open_video(gray, backend)
        out = list(r)
        assert out[0].shape == (180, 320, 3)
        assert np.array_equal(out[0][..., 0], out[0][..., 2])
        assert r.notes == ["grayscale source (frames replicated to RGB)"]


def test_unknown_backend_and_odd_encode_size_are_refused(tmp_path, small_film):
    with pytest.raises(BadInput, match="unknown video backend"):
        open_video(small_film, "opencv")
    with pytest.raises(BadInput, match="even width and height"):
        write_h264(tmp_path / "odd.mp4", [np.zeros((181, 320, 3), np.uint8)])
    assert not (tmp_path / "odd.mp4").exists()


def test_packet_times_are_read_once_per_unchanged_file(tmp_path, small_film):
    film = tmp_path / "film.mp4"
    frames = _frames(small_film)
    write_h264(film, frames)
    pts, _, fps = packet_times(film)
    assert len(pts) == 60 and fps == 24.0 and not pts.flags.writeable
    assert packet_times(film)[0] is pts  # the same film: not demuxed again
    write_h264(film, frames[:30])  # the file changes: read again
    assert len(packet_times(film)[0]) == 30
