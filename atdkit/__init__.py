"""atdkit: animation video frame interpolation data and benchmarks."""

__version__ = "0.1.0"
