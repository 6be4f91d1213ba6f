"""Helpers of the recipe tests: a root's tables and frames in comparable form, films re-encoded or
remuxed with PyAV, the CLI run in-process."""

from __future__ import annotations

from pathlib import Path

import av
import pandas as pd

from atdkit.store.dataset import DatasetRoot
from atdkit.store.timing import timing_truth
from atdkit.video import open_video
from atdkit.video.writer import write_h264


def snapshot(root_path: Path) -> dict[str, object]:
    """Everything a rebuild must reproduce: dataset.json, the tables (films without their paths),
    the consensus, the timings and the bytes of every frame file."""
    root = DatasetRoot.open(root_path)

    def ordered(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        return df.sort_values(keys).reset_index(drop=True)

    frames = {str(p.relative_to(root.path)): p.read_bytes() for p in sorted((root.path / "frames").rglob("*.png"))}
    return {"meta": root.meta(),
            "films": ordered(root.films().drop(columns=["path"]), ["film_id"]),
            "triplets": ordered(root.triplets(), ["triplet_id"]),
            "candidates": ordered(root.candidates(), ["film_id", "f1", "stride", "f3", "reason"]),
            "consensus": ordered(pd.read_parquet(root.path / "consensus.parquet"), ["triplet_id"]),
            "timing": ordered(timing_truth(root).read(), ["triplet_id"]),
            "frames": frames}


def reencode(src: Path, dst: Path, crf: int) -> Path:
    """The same film decoded and encoded again at another quality (another encode, near frames)."""
    with open_video(src, "pyav", sequential=True) as reader:
        write_h264(dst, reader.frames(0), fps=reader.fps, crf=crf)
    return dst


def remux(src: Path, dst: Path) -> Path:
    """The same packets in another container (stream copy, no decoding)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream_in = inp.streams.video[0]
        stream_out = out.add_stream_from_template(stream_in)
        for packet in inp.demux(stream_in):
            if packet.dts is None:
                continue
            packet.stream = stream_out
            out.mux(packet)
    return dst


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]
