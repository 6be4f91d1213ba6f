"""GMFSS-union baselines in pure PyTorch; see :mod:`baselines.gmfss.method`."""

from atdkit.baselines.gmfss.method import GMFSSUnion, GMFSSUnionVGAN, load_gmfss

__all__ = ["GMFSSUnion", "GMFSSUnionVGAN", "load_gmfss"]
