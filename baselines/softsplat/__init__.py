"""SoftSplat baseline in pure PyTorch; see :mod:`atdkit.baselines.softsplat.method`."""

from atdkit.baselines.softsplat.method import SoftSplat, load_softsplat

__all__ = ["SoftSplat", "load_softsplat"]
