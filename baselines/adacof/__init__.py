"""AdaCoF baseline in pure PyTorch; see :mod:`atdkit.baselines.adacof.method`."""

from atdkit.baselines.adacof.method import AdaCoF, load_adacof

__all__ = ["AdaCoF", "load_adacof"]
