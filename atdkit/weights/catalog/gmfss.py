"""Weights of the gmfss family (filled in by its issue)."""
