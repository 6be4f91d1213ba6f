"""Benchmarking: metrics and protocols, the resumable runner over methods × triplets, reports."""
