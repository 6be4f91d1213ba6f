"""RIFE baselines (IFNet v4.0 and v4.6) in pure PyTorch; see :mod:`baselines.rife.method`."""

from atdkit.baselines.rife.method import RIFEv40, RIFEv46, load_ifnet

__all__ = ["RIFEv40", "RIFEv46", "load_ifnet"]
