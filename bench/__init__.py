"""Reproducible benchmarks (lienthong bench)."""
