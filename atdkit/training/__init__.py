"""Training AnimeInterp on a dataset root (the authors never released theirs).

* :mod:`.config`: the two phases' recipe, each value a flag with the paper's default;
* :mod:`.data`: frames (and SGM flows) decoded once into a cache; the data order and
  augmentations as pure functions of (seed, epoch, position);
* :mod:`.loop`: the training loop (L1, Adam, step schedule, validation PSNR);
* :mod:`.state`: checkpoints in the official format plus the state a resume needs;
* :mod:`.init`: starting weights; :mod:`.curves`: loss and PSNR curves.

Entry point: ``atdkit train animeinterp ROOT --out RUN_DIR``.
"""
