"""Weights of the lpips family (filled in by its issue)."""
