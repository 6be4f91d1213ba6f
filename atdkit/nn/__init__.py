"""Reusable network blocks (GridNet synthesis, PReLU feature pyramid)."""
