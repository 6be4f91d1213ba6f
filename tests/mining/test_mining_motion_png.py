"""Motion statistics in 960-px units at any flow working size; lossless fast PNG frames."""

from __future__ import annotations

import io
import json
import zlib

import cv2
import numpy as np
import pytest

from atdkit.errors import BadInput
from atdkit.mining.pipeline import MiningConfig, mine
from atdkit.motion import FLOW_WIDTH, motion_stats
from atdkit.store.frames import deflate_rle, encode_png


def _cel_scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Flat-colour ellipses with dark outlines on a smooth background (H×W×3 uint8 RGB)."""
    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.uint8)
    img[:] = np.linspace(60, 200, width, dtype=np.uint8)[None, :, None]
    for _ in range(40):
        c = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(width // 40, width // 10)), int(rng.integers(height // 40, height // 10)))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        cv2.ellipse(img, c, axes, float(rng.integers(0, 180)), 0, 360, colour, -1)
        cv2.ellipse(img, c, axes, 0, 0, 360, (20, 20, 20), max(1, width // 480))
    return img


@pytest.mark.parametrize("size", [(960, 540), (1920, 1080)])
def test_flow_magnitudes_are_in_960px_units_at_any_working_width(size):
    w, h = size
    scene = _cel_scene(w + 200, h, seed=1)
    shift = 24 * w // 960  # 24 px at 960 width: a camera pan
    frame1, frame3 = scene[:, :w].copy(), scene[:, shift:shift + w].copy()
    results = {fw: motion_stats(frame1, frame3, flow_width=fw) for fw in (FLOW_WIDTH, 480)}
    for fw, m in results.items():
        assert m.flow_p95 == pytest.approx(24.0, abs=2.5), fw
        assert m.flow_mean == pytest.approx(24.0, abs=4.0), fw
        assert m.occlusion < 0.10, fw                   # a pan only uncovers a strip at the border
        assert m.auto_difficulty == "medium", fw        # 12 ≤ p95 < 40
    # a still pair is easy at any working width
    for fw in (FLOW_WIDTH, 480):
        still = motion_stats(frame1, frame1, flow_width=fw)
        assert still.flow_p95 < 1.0 and still.occlusion < 0.02 and still.auto_difficulty == "easy"


def test_encode_png_is_lossless_for_every_layout():
    from PIL import Image

    rng = np.random.default_rng(0)
    images = (_cel_scene(333, 201, seed=2), rng.integers(0, 256, (57, 91, 3), np.uint8),
              rng.integers(0, 256, (1, 5, 3), np.uint8), rng.integers(0, 256, (40, 31), np.uint8),
              rng.integers(0, 256, (12, 17, 4), np.uint8), _cel_scene(400, 300, seed=3)[::2, ::3])  # a strided view
    for img in images:
        data = encode_png(img)
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        back = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)   # libpng
        back = back if back.ndim == 2 else cv2.cvtColor(back, cv2.COLOR_BGR2RGB if img.shape[2] == 3
                                                         else cv2.COLOR_BGRA2RGBA)
        np.testing.assert_array_equal(back, img)
        with Image.open(io.BytesIO(data)) as pil:                                   # Pillow's own decoder
            pil.load()
            np.testing.assert_array_equal(np.asarray(pil), img)


def test_png_deflate_is_zlibs_byte_for_byte():
    """zlib-ng only makes the frame writer faster: its RLE stream is the zlib library's, so the bytes of
    a frame do not depend on which of the two wrote it."""
    rng = np.random.default_rng(1)
    cel = _cel_scene(960, 540, seed=5)
    data = [cel.tobytes(), np.diff(cel.reshape(540, -1), axis=0).tobytes(), rng.integers(0, 256, 100_000, np.uint8).tobytes(),
            rng.integers(0, 3, 300_000, np.uint8).tobytes(), b"", b"\x00" * 1_000_000]
    for raw in data:
        reference = zlib.compressobj(1, zlib.DEFLATED, 15, 8, zlib.Z_RLE)
        assert deflate_rle(raw) == reference.compress(raw) + reference.flush()
        assert zlib.decompress(deflate_rle(raw)) == raw


def test_encode_png_compresses_flat_cel_frames_and_refuses_what_it_cannot_store():
    scene = _cel_scene(960, 540, seed=4)
    assert len(encode_png(scene)) < scene.nbytes / 5
    with pytest.raises(ValueError, match="uint8"):
        encode_png(scene.astype(np.float32))
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="one pixel"):
        encode_png(np.zeros((0, 4, 3), np.uint8))


def test_flow_width_is_recorded_in_the_dataset_config(tmp_path, small_film):
    out = tmp_path / "root"
    mine([small_film], out, MiningConfig(flow_width=160), progress=False)
    config = json.loads((out / "dataset.json").read_text())["config"]["mining"]
    assert config["flow_width"] == 160
    with pytest.raises(BadInput, match="flow_width"):
        mine([small_film], out, MiningConfig(), progress=False)


def test_png_size_reads_whole_pngs_and_refuses_every_damaged_byte(tmp_path):
    """The task view checks frames with png_size instead of decoding them: it must accept what
    our writer and libpng write (and, as decoders do, bytes after IEND) and refuse any file cut
    off anywhere or with any single byte changed (each lands in a length, a type, a body or a CRC)."""
    from atdkit.store.frames import png_size
    from atdkit.store.quarantine import CorruptFile

    rng = np.random.default_rng(7)
    ours = encode_png(rng.integers(0, 256, (9, 12, 3), np.uint8))
    ok, libpng = cv2.imencode(".png", _cel_scene(333, 201, seed=1))      # other chunk layout (libpng)
    for i, (data, size) in enumerate(((ours, (12, 9)), (libpng.tobytes(), (333, 201)), (ours + b"\0", (12, 9)))):
        (tmp_path / f"ok{i}.png").write_bytes(data)
        assert png_size(tmp_path / f"ok{i}.png") == size
    bad = tmp_path / "bad.png"
    damaged = [ours[:n] for n in range(len(ours))]
    for at in range(len(ours)):
        flipped = bytearray(ours)
        flipped[at] ^= 1 << (at % 8)
        damaged.append(bytes(flipped))
    for data in damaged:
        bad.write_bytes(data)
        with pytest.raises(CorruptFile, match="not a whole PNG"):
            png_size(bad)
    with pytest.raises(BadInput, match="not found"):
        png_size(tmp_path / "none.png")
