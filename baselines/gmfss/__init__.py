"""GMFSS-union and GMFSS Fortuna baselines in pure PyTorch; see :mod:`atdkit.baselines.gmfss.method`."""

from atdkit.baselines.gmfss.method import GMFSSFortuna, GMFSSFortunaUnion, GMFSSUnion, GMFSSUnionVGAN, load_gmfss

__all__ = ["GMFSSFortuna", "GMFSSFortunaUnion", "GMFSSUnion", "GMFSSUnionVGAN", "load_gmfss"]
