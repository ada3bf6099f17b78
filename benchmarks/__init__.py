"""Benchmarks run by hand (not in CI); see benchmarks/README.md."""
