"""Reading and writing frame images (PNG/JPEG) as H×W×3 uint8 RGB."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np

from atdkit.errors import BadInput
from atdkit.store import atomic


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as H×W×3 uint8 RGB (grayscale and alpha are converted)."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: frame file not found")
    data = np.fromfile(path, dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if img is None:
        raise BadInput(f"{path}: not a readable image")
    if img.dtype != np.uint8:
        img = (img / 257).astype(np.uint8) if img.dtype == np.uint16 else np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPES = {1: 0, 3: 2, 4: 6}  # channels → PNG colour type: gray, RGB, RGBA
_FILTER_UP = 2


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def encode_png(image: np.ndarray, compression: int = 1) -> bytes:
    """H×W×3 uint8 RGB (or H×W gray, H×W×4 RGBA) → lossless 8-bit PNG bytes.

    Every row uses PNG's "up" filter (the difference to the row above: long runs
    of zeros on flat-colour cel frames), deflated by zlib at ``compression`` level
    0–9 (1 is the default). zlib's output depends only on its input and level, so
    the same pixels always give the same bytes: a resumed or parallel run writes
    the frames of an uninterrupted one byte for byte. ISA-L's deflate was about 5×
    faster, but in CI it gave some frames other (equally lossless) bytes
    depending on the process.
    """
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"PNG needs H×W, H×W×1, H×W×3 or H×W×4 uint8, not {image.shape} {image.dtype}")
    if not 0 <= compression <= 9:
        raise ValueError(f"PNG compression level {compression} out of range 0–9")
    height, width = image.shape[:2]
    channels = 1 if image.ndim == 2 else image.shape[2]
    rows = np.ascontiguousarray(image).reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), np.uint8)
    filtered[:, 0] = _FILTER_UP
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # modulo 256, as PNG defines it
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join((_PNG_SIGNATURE, _chunk(b"IHDR", header),
                     _chunk(b"IDAT", zlib.compress(filtered, compression)), _chunk(b"IEND", b"")))


def write_png(path: str | os.PathLike, rgb: np.ndarray, compression: int = 1) -> Path:
    """Write H×W×3 uint8 RGB as PNG (:func:`encode_png`), atomically."""
    return atomic.write_bytes(path, encode_png(rgb, compression))
