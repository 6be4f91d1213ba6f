"""Shared image and tensor operations (warping, splatting, correlation, optical flow)."""
