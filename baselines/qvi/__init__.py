"""QVI baseline in pure PyTorch; see :mod:`atdkit.baselines.qvi.method`."""

from atdkit.baselines.qvi.method import QVI, load_qvi

__all__ = ["QVI", "load_qvi"]
