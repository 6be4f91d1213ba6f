"""Super SloMo baseline in pure PyTorch; see :mod:`atdkit.baselines.superslomo.method`."""

from atdkit.baselines.superslomo.method import SuperSloMo, load_superslomo

__all__ = ["SuperSloMo", "load_superslomo"]
