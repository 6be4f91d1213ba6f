"""AnimeInterp (Li Siyao et al., CVPR 2021), re-implemented to load the released checkpoint.

* :class:`AnimeInterp` (``animeinterp``): the full model with ``anime_interp_full.ckpt``;
* :class:`AnimeInterpSGM` (``animeinterp-sgm``): a training-free SGM + DIS + splatting baseline;
* :mod:`.sgm`: segment-guided matching; :mod:`.flows`: SGM flows cached in the dataset root;
* :mod:`.model`, :mod:`.rfr`, :mod:`.checkpoint`: the network and its weights.
"""

from atdkit.methods.animeinterp.interpolators import AnimeInterp, AnimeInterpSGM

__all__ = ["AnimeInterp", "AnimeInterpSGM"]
