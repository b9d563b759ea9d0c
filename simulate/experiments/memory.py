"""Memory estimates of the simulated experiments, checked before any work starts.

:func:`estimate_memory` sums, for an experiment config, the arrays its run holds at its
peak: the per-chain model (chains x states of the discrete chain, d x d per chain of
least squares, the GMM's history over generations), each generation's data
(chains x samples x dim), the pool of the accumulate regimes, which grows by a
generation's data every generation (chains x samples x generations), the VAE's images,
latent means and encoder activations. The factors are generous (temporaries of the
fits and of sampling included), so that a run it accepts is one that fits; only their
order matters. :func:`check_experiment_memory` refuses a run whose estimate does not fit
this machine (:func:`collapse.core.validation.check_memory`), naming the option that
dominates the estimate: of the largest term, the factor furthest above its default.

>>> from collapse.simulate.experiments.chains import DiscreteExperiment
>>> estimate_memory(DiscreteExperiment(n_chains=10, n_states=10, samples=10, generations=10)) < 10 ** 6
True
"""

from __future__ import annotations

import dataclasses
from typing import Any

from collapse.core.validation import check_memory

__all__ = ["Term", "check_experiment_memory", "estimate_memory", "memory_terms"]

_F8 = 8  # bytes of a float64 / int64
_F4 = 4  # bytes of a float32


@dataclasses.dataclass(frozen=True)
class Term:
    """One part of an estimate: ``bytes``, the config fields it grows with, what it is in words.

    ``factors``: ``(option, field)`` pairs; the option is the command line's spelling.
    """

    bytes: float
    factors: tuple[tuple[str, str], ...]
    what: str


def _default(config: Any, field: str) -> float:
    for f in dataclasses.fields(config):
        if f.name == field and f.default is not dataclasses.MISSING and isinstance(f.default, (int, float)):
            return max(float(f.default), 1.0)
    return 1.0


def _value(config: Any, field: str) -> float:
    v = getattr(config, field, None)
    if isinstance(v, (tuple, list)):
        return float(max(v, default=1))
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 1.0


def _kind(regime: Any) -> str:
    from collapse.simulate.loop import Regime

    return Regime.parse(regime).kind


def _pool(kind: str, n_points: float, point_bytes: float, fit_bytes: float,
          factors: tuple[tuple[str, str], ...], what: str) -> list[Term]:
    """The accumulate regimes' pool: ``n_points`` = chains x samples x generations, held with a copy
    (the concatenation), and the fit's temporaries over it (``accumulate``) or the subset's random
    keys and indices (``accumulate-subsample``)."""
    if kind == "accumulate":
        return [Term(n_points * (2 * point_bytes + fit_bytes), factors, f"{what}, kept and refitted (accumulate)")]
    if kind == "accumulate-subsample":
        return [Term(n_points * (2 * point_bytes + 2 * _F8), factors, f"{what}, kept (accumulate-subsample)")]
    return []


def _regime_terms(kind: str, n_points: float, point_bytes: float, factors: tuple[tuple[str, str], ...],
                  what: str) -> list[Term]:
    """What ``curate`` and ``weight`` hold beside a generation's data (``n_points`` = chains x samples).

    ``curate``: the kept points plus one round of candidates, which the loop bounds by a generation's
    data (a few more per chain) or :data:`collapse.simulate.loop.CURATE_BATCH_ELEMENTS`, whichever is
    larger, with each candidate's log-density, uniform, verdict and rank; ``weight``: the weights.
    """
    if kind == "curate":
        from collapse.simulate.loop import CURATE_BATCH_ELEMENTS

        return [Term(n_points * (3 * point_bytes + 6 * _F8) + CURATE_BATCH_ELEMENTS * 2 * _F8, factors,
                     f"{what}: candidates and kept points (curate)")]
    if kind == "weight":
        return [Term(n_points * 2 * _F8, factors, f"{what}: point weights (weight)")]
    return []


def _discrete(c) -> list[Term]:
    C, M, G = c.n_chains, c.samples, c.generations
    K = len(c.p0) if c.p0 is not None else c.n_states
    chains, states = ("--chains", "n_chains"), ("--states", "n_states")
    samples, gens = ("--samples", "samples"), ("--generations", "generations")
    terms = [
        # the kept frequencies (5 generations) and the fit's counts, probabilities, CDFs
        Term(C * K * _F8 * 11.0, (chains, states), f"{C} chains x {K} states (fitted frequencies)"),
        Term(C * M * 40.0, (chains, samples), f"{C} chains x {M} samples (a generation's data)"),
        Term(G * _F8 * 5.0 + C * _F8 * 4.0, (gens, chains), f"{G} generations and {C} chains (the results)"),
    ]
    terms += _pool(_kind(c.regime), float(C) * M * G, _F8, 2 * _F8, (samples, gens, chains),
                   f"{C} chains x {M} samples x {G} generations of data")
    terms += _regime_terms(_kind(c.regime), float(C) * M, _F8, (chains, samples), f"{C} chains x {M} samples")
    return terms


def _kde(c) -> list[Term]:
    C, M, G = c.n_chains, c.samples, c.generations
    chains, samples, gens = ("--chains", "n_chains"), ("--samples", "samples"), ("--generations", "generations")
    terms = [Term(C * M * _F8 * 6.0, (chains, samples), f"{C} chains x {M} samples (a generation's data)"),
             Term(C * G * _F8 * 2.0, (chains, gens), f"{C} chains x {G} generations (mean and variance saved)")]
    terms += _pool(_kind(c.regime), float(C) * M * G, _F8, 3 * _F8, (samples, gens, chains),
                   f"{C} chains x {M} samples x {G} generations of data")
    terms += _regime_terms(_kind(c.regime), float(C) * M, _F8, (chains, samples), f"{C} chains x {M} samples")
    return terms


def _regression(c) -> list[Term]:
    C, n, d, G = c.n_chains, c.samples, c.dim, c.generations
    chains, samples, dim = ("--chains", "n_chains"), ("--samples", "samples"), ("--dim", "dim")
    gens = ("--generations", "generations")
    row = (d + 1) * _F8
    terms = [Term(C * n * row * 4.0, (chains, samples, dim), f"{C} chains x {n} rows x {d + 1} columns (a "
                                                            "generation's data)"),
             Term(C * d * d * _F8 * 3.0, (dim, chains), f"{C} chains x {d} x {d} (the normal equations)"),
             Term(C * (G + 1) * _F8, (chains, gens), f"{C} chains x {G + 1} generations (the risks saved)")]
    terms += _pool(_kind(c.regime), float(C) * n * G, row, row, (samples, gens, chains, dim),
                   f"{C} chains x {n} rows x {G} generations of data")
    terms += _regime_terms(_kind(c.regime), float(C) * n, row, (chains, samples, dim), f"{C} chains x {n} rows")
    return terms


def _gmm(c) -> list[Term]:
    C, N, G, K, d = c.n_chains, c.samples, c.generations, c.n_components, 2
    chains, samples, gens = ("--chains", "n_chains"), ("--samples", "samples"), ("--generations", "generations")
    per_point = (d + 1 + d + d * (d + 1) // 2 + 4 * K) * _F8 * 2  # data, features, responsibilities, temporaries
    history = (G + 1) * (K * (1 + d + d * d) + 1 + K) * _F8 * 3  # saved history, its stacks, the checkpoint
    panels = len(c.panels) * min(c.panel_chains, C) * N * (d + 1) * _F8
    terms = [Term(C * N * per_point, (chains, samples), f"{C} chains x {N} samples (EM on a generation's data)"),
             Term(C * history, (chains, gens), f"{C} chains x {G} generations (the fitted mixtures kept)"),
             Term(panels, (samples,), f"{len(c.panels)} scatter panels of {N} samples")]
    terms += _pool(_kind(c.regime), float(C) * N * G, d * _F8, per_point, (samples, gens, chains),
                   f"{C} chains x {N} samples x {G} generations of data")
    # curate evaluates generation 0's mixture (features and K log-densities) at every candidate
    terms += _regime_terms(_kind(c.regime), float(C) * N, per_point, (chains, samples), f"{C} chains x {N} samples")
    return terms


def _vae_images(c) -> tuple[int, int, tuple[str, str]]:
    """(images, side, the option that sets their number) of a VAE config."""
    if c.mnist:
        from collapse.simulate.families.vae import check_mnist

        n, side = check_mnist(c.mnist)
        option = ("--mnist", "mnist")
    else:
        n, side, option = 1797, c.side, ("--limit", "limit")
    if c.limit:
        n, option = min(n, c.limit), ("--limit", "limit")
    return n, side, option


def _vae(c) -> list[Term]:
    from collapse.simulate.families.vae import CHANNELS

    n, side, images = _vae_images(c)
    G, L = c.generations, c.latent
    gens, latent = ("--generations", "generations"), ("--latent", "latent")
    px = side * side
    c1, c2 = CHANNELS.get(side, (64, 128))
    act = (c1 * (side // 2) ** 2 + c2 * (side // 4) ** 2) * _F4 * 3  # encoder activations over all images
    terms = [Term(n * px * _F4 * 8.0, (images,), f"{n} images of {side}x{side} (real, training set, samples)"),
             Term(n * act, (images,), f"{n} images through the encoder at once (latent means)"),
             Term(G * n * L * _F4 * 2.0, (gens, images, latent),
                  f"{G} generations x {n} images x {L} latent dimensions (latent means saved)"),
             Term(G * c.grid * px * _F4 * 2.0, (gens,), f"{G} generations of {c.grid} sample images"),
             Term(L * (c2 * (side // 4) ** 2) * _F4 * 3 * 8, (latent,), f"a network with {L} latent dimensions")]
    kind = _kind(c.regime)
    if kind in ("accumulate", "accumulate-subsample"):
        terms.append(Term(float(n) * G * px * _F4 * 4, (images, gens),
                          f"{n} images x {G} generations of data, kept ({kind})"))
    return terms


def _single_gaussian(c) -> list[Term]:
    from collapse.simulate.loop import REGIMES

    cells = len(c.regimes) * len(c.sample_sizes)
    terms = [Term(cells * c.chains * (c.generations + 1) * _F8 * 2 * 2.0,
                  (("--chains", "chains"), ("--generations", "generations")),
                  f"{cells} cells x {c.chains} chains x {c.generations + 1} generations (means and variances "
                  "saved)")]
    literal = [r for r in c.regimes if r not in REGIMES]  # cells run by the literal sampler hold their data
    if literal:
        M = max(c.sample_sizes)
        what = f"{c.chains} chains x {M} samples"
        factors = (("--chains", "chains"), ("--samples", "sample_sizes"))
        terms.append(Term(float(c.chains) * M * _F8 * 6.0, factors, f"{what} (a generation's data, literal sampler)"))
        for kind in sorted({_kind(r) for r in literal}):  # the cells run one after another: an upper estimate
            terms += _regime_terms(kind, float(c.chains) * M, _F8, factors, what)
            terms += _pool(kind, float(c.chains) * M * c.generations, _F8, 2 * _F8,
                           factors + (("--generations", "generations"),), f"{what} x {c.generations} generations")
    return terms


def _gaussian_theory(c) -> list[Term]:
    return [Term(c.chains * (c.generations + 1) * _F8 * 10.0, (("chains", "chains"), ("generations", "generations")),
                 f"{c.chains} chains x {c.generations + 1} generations")]


def _regimes(c) -> list[Term]:
    return [Term(c.mix_chains * c.samples * _F8 * 8.0, (("mix_chains", "mix_chains"), ("samples", "samples")),
                 f"{c.mix_chains} chains x {c.samples} samples (the mixing chain's data)"),
            Term(c.acc_chains * 64 * _F8 * 4.0, (("acc_chains", "acc_chains"),),
                 f"{c.acc_chains} chains (the accumulate chains' saved generations)")]


def memory_terms(config: Any) -> list[Term]:
    """The parts of :func:`estimate_memory` for ``config`` (none for a config of unknown type)."""
    from collapse.simulate.experiments import chains, gaussian_moments, gmm, regimes, single_gaussian, vae

    table = {
        chains.DiscreteExperiment: _discrete, chains.KDEExperiment: _kde, chains.RegressionExperiment: _regression,
        gmm.GMMExperiment: _gmm, vae.VAEExperiment: _vae, single_gaussian.SingleGaussianConfig: _single_gaussian,
        gaussian_moments.GaussianTheoryConfig: _gaussian_theory, regimes.RegimesConfig: _regimes,
    }
    f = table.get(type(config))
    return [] if f is None else f(config)


def estimate_memory(config: Any) -> float:
    """Bytes of memory experiment ``config`` holds at its peak (an upper estimate; 0 if unknown)."""
    return float(sum(t.bytes for t in memory_terms(config)))


def _dominant(config: Any, term: Term) -> str:
    """Of ``term``'s factors, the option whose value is furthest above its default."""
    return max(term.factors, key=lambda of: _value(config, of[1]) / _default(config, of[1]))[0]


def check_experiment_memory(config: Any, name: str | None = None) -> float:
    """Refuse ``config`` before any work when :func:`estimate_memory` does not fit this machine.

    The message names the option that dominates the estimate and says what the largest
    part is (``--states: expected a run that fits in 18 GiB of memory, got about 8e+03 TiB
    for the discrete run: 10000000 chains x 10000000 states (fitted frequencies)``).
    Returns the estimate.
    """
    terms = memory_terms(config)
    total = float(sum(t.bytes for t in terms))
    if terms:
        top = max(terms, key=lambda t: t.bytes)
        label = f"the {name} run" if name else "this run"
        check_memory(_dominant(config, top), total, f"{label}: {top.what}")
    return total
