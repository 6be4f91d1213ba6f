"""Dataset recipes: publish a dataset without its frames, rebuild it exactly from one's own films.

A recipe (:mod:`atdkit.recipes.recipe`) lists every film by its hashes and every triplet by its frame
indices and the hashes of its decoded frames, with the mining config and the consensus labels.
:func:`~atdkit.recipes.export.export_recipe` writes one from a dataset root;
:func:`~atdkit.recipes.build.build_from_recipe` finds the films (:mod:`atdkit.recipes.locate`),
extracts and verifies the listed frames (one film per work unit, resumable) and writes the root;
:func:`~atdkit.recipes.verify.verify_root` checks a root against a recipe.
"""
