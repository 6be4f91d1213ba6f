"""Weights of the rife family (filled in by its issue)."""
