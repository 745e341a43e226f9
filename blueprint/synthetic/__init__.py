"""Synthetic DOJ files for the demo, the tests and the benchmarks (no real person)."""
