"""The known weights, one module per model family; importing registers them."""

from atdkit.weights.catalog import animeinterp, gmfss, lpips, rife  # noqa: F401
