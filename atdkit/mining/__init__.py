"""Mining ATD-style triplets (f, f+g, f+2g) from films into a dataset root.

- :mod:`~atdkit.mining.similarity`: SSIM exactly as scikit-image defines it (7×7, RGB, range 255) at a
  working size ≤ 960×540, computed from exact integer window sums;
- :mod:`~atdkit.mining.shots`: cuts (told from large motion inside a shot), held drawings (under pans and
  re-encode noise too), cadence per run of drawings;
- :mod:`~atdkit.mining.sampler`: which candidates are kept, and why the others are not;
- :mod:`~atdkit.mining.dedup`: perceptual-hash near-duplicates across the dataset;
- :mod:`~atdkit.mining.pipeline`: one resumable, idempotent unit per film, run in parallel
  (processes or Dask) through :func:`atdkit.distributed.run_all`;
- :mod:`~atdkit.mining.preview`: a contact sheet of mined triplets.

Entry points: ``atdkit mine ROOT FILM...`` and :func:`atdkit.mining.pipeline.mine`.
"""
