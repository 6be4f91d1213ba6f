"""RFR, AnimeInterp's recurrent flow refinement (a RAFT derivative)."""

from atdkit.methods.animeinterp.rfr.rfr import RFR, convex_upsample

__all__ = ["RFR", "convex_upsample"]
