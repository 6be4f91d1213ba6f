"""DAIN baseline in pure PyTorch; see :mod:`atdkit.baselines.dain.method`."""

from atdkit.baselines.dain.method import DAIN, load_dain

__all__ = ["DAIN", "load_dain"]
