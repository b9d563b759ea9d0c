"""Benchmarks of the samplers and chains, reported as ratios against a reference in the same process."""
