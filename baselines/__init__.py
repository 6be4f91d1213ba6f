"""Baseline interpolation methods, registered as ``atdkit.methods`` entry points."""
