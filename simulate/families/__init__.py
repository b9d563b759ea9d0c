"""The model families: each offers ``fit(data) -> params`` and ``sample(params, m, rng) -> data``
with a leading chain axis, so the one loop of :mod:`collapse.simulate.loop` drives them all.

Families with sufficient statistics (Gaussian in 1 and d dimensions, discrete, Poisson) also
have exact fast samplers beside the literal draw-and-refit one.
"""
