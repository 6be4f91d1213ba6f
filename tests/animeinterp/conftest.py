"""Fixtures for the AnimeInterp tests: real cartoon frames and drawn cels."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

TESTDATA = Path(os.environ["ATDKIT_TESTDATA"])  # set by tests/conftest.py


@pytest.fixture(scope="session")
def pigs_frames():
    """Frames 10, 11, 12 of the 1943 cel cartoon (314×273 RGB uint8)."""
    path = TESTDATA / "pigs_in_a_polka.gif"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    im = Image.open(path)
    frames = []
    for i in (10, 11, 12):
        im.seek(i)
        frames.append(np.array(im.convert("RGB")))
    return frames


def draw_cel(shift: tuple[int, int] = (0, 0), size: tuple[int, int] = (128, 96)) -> np.ndarray:
    """A flat-colour cel with black outlines: background, a moving disc and a moving box (RGB uint8)."""
    w, h = size
    img = np.full((h, w, 3), (235, 225, 200), np.uint8)
    cv2.rectangle(img, (5, 60), (122, 90), (120, 170, 90), -1)  # static ground
    cv2.rectangle(img, (5, 60), (122, 90), (0, 0, 0), 2)
    dx, dy = shift
    cv2.circle(img, (40 + dx, 35 + dy), 16, (210, 60, 50), -1)
    cv2.circle(img, (40 + dx, 35 + dy), 16, (0, 0, 0), 2)
    cv2.rectangle(img, (75 + dx, 15 + dy), (100 + dx, 40 + dy), (60, 80, 200), -1)
    cv2.rectangle(img, (75 + dx, 15 + dy), (100 + dx, 40 + dy), (0, 0, 0), 2)
    cv2.circle(img, (85 + dx, 25 + dy), 4, (250, 250, 250), -1)
    return img


@pytest.fixture
def cel_pair():
    """(frame1, frame2, frame3): the foreground moves 8 px right and 2 px down per half step."""
    return draw_cel((0, 0)), draw_cel((8, 2)), draw_cel((16, 4))


@pytest.fixture
def make_cel():
    """The :func:`draw_cel` function (foreground shifted by (dx, dy))."""
    return draw_cel
