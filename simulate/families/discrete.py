"""Discrete distributions with exact approximation (the paper's first model).

The fitted model is the empirical distribution of the sample, F(p) = p, so model
collapse comes from sampling error alone: tails vanish, the support shrinks and
every chain ends in a delta (an absorbing state), at state i with probability
p_0(i). In population-genetics terms this is the neutral Wright-Fisher model.

Samplers (the same Markov chain on the fitted frequencies):

``literal``        :class:`DiscreteFamily` through :func:`simulate.loop.run_generations`:
                   draw category labels, count them (any regime);
``multinomial``    draw the counts directly, ``Multinomial(M_g, p_g)`` batched over chains
                   (the sufficient statistic; the reference of ``collapse bench discrete``);
``wright-fisher``  keep each chain's M_g labels and let every new point copy a uniformly
                   chosen point of the previous generation: one integer draw and one
                   gather per point, and absorbed chains drop out of the work.

References: Shumailov et al. (2024), section "Discrete distributions with exact
approximation"; Supplementary Material (absorbing Markov chains).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from collapse.core.validation import InvalidArgument, check_choice, check_int, check_schedule
from collapse.simulate.base import as_generator, check_weights
from collapse.simulate.loop import Regime, run_generations

SAMPLERS = ("wright-fisher", "multinomial", "literal")

__all__ = [
    "SAMPLERS", "DiscreteChain", "DiscreteConfig", "DiscreteFamily", "DiscreteParams",
    "check_simplex", "heterozygosity", "simulate_discrete",
]


def check_simplex(name: str, p: object, *, atol: float = 1e-9) -> np.ndarray:
    """Return ``p`` as a float array whose last axis is a probability vector."""
    arr = np.asarray(p, dtype=float)
    if arr.ndim < 1 or arr.shape[-1] < 1 or not np.all(np.isfinite(arr)) or np.any(arr < 0) \
            or not np.allclose(arr.sum(axis=-1), 1.0, atol=atol):
        raise InvalidArgument(name, "non-negative probabilities summing to 1 along the last axis", p)
    return arr / arr.sum(axis=-1, keepdims=True)


def heterozygosity(probs: np.ndarray) -> np.ndarray:
    """H = 1 - sum_k p_k^2 (probability that two independent draws differ).

    ``probs`` : ndarray of shape (..., K); returns shape (...).
    """
    return 1.0 - np.einsum("...k,...k->...", probs, probs)


@dataclasses.dataclass(frozen=True)
class DiscreteParams:
    """Categorical distributions, one per chain. ``probs`` : ndarray of shape (n_chains, K)."""

    probs: np.ndarray


@dataclasses.dataclass(frozen=True)
class DiscreteFamily:
    """Empirical-frequency fit (exact approximation) over ``n_states`` categories."""

    n_states: int
    name: str = "discrete"

    def __post_init__(self) -> None:
        check_int("n_states (K)", self.n_states, minimum=1)

    def fit(self, data: np.ndarray) -> DiscreteParams:
        """``data`` : int ndarray of shape (n_chains, n_samples), labels in [0, K)."""
        if data.ndim != 2 or data.shape[1] < 1:
            raise InvalidArgument("data", "an integer array of shape (n_chains, n_samples >= 1)", data.shape)
        return DiscreteParams(counts_of(data, self.n_states) / data.shape[1])

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> DiscreteParams:
        """Weighted frequencies p_j = sum of the weights of the points labelled j.

        ``data`` : int ndarray (n_chains, n_samples), labels in [0, K); ``weights`` : (n_chains,
        n_samples), rows summing to 1 (a state seen only with weight 0 gets probability 0).
        """
        if data.ndim != 2 or data.shape[1] < 1:
            raise InvalidArgument("data", "an integer array of shape (n_chains, n_samples >= 1)", data.shape)
        w = check_weights(data, weights)
        C, K = data.shape[0], self.n_states
        flat = data.astype(np.int64) + K * np.arange(C)[:, None]
        p = np.bincount(flat.ravel(), weights=w.ravel(), minlength=C * K).reshape(C, K)
        return DiscreteParams(p / p.sum(axis=1, keepdims=True))

    def log_density(self, params: DiscreteParams, x: np.ndarray) -> np.ndarray:
        """log p(x) per chain (-inf where p is 0): ``x`` int (n_chains, n) -> (n_chains, n)."""
        with np.errstate(divide="ignore"):
            return np.log(np.take_along_axis(params.probs, np.asarray(x, dtype=np.int64), axis=1))

    def max_log_density(self, params: DiscreteParams) -> np.ndarray:
        """log max_i p(i), shape (n_chains,)."""
        return np.log(params.probs.max(axis=1))

    def sample(self, params: DiscreteParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Return int ndarray of shape (n_chains, m): m draws per chain (inverse CDF)."""
        probs = params.probs
        C, K = probs.shape
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = 1.0  # guard against round-off: the last state closes the interval
        u = rng.random((C, m))
        if K <= _FEW_STATES:
            # states after the last one of positive probability must not be reachable by round-off
            after = np.cumsum(probs[:, :0:-1], axis=1)[:, ::-1] == 0  # sum of probs[:, j+1:] == 0, j < K - 1
            cdf[:, :-1][after] = 1.0  # the label is the number of CDF values <= u: K - 1 vector comparisons
            return _count_below(cdf, u)
        # one searchsorted over all chains: chain c's CDF is shifted to (c, c + 1]
        shifted = (cdf + np.arange(C)[:, None]).ravel()
        labels = np.searchsorted(shifted, (u + np.arange(C)[:, None]).ravel(), side="right").reshape(C, m)
        labels = np.minimum(labels - K * np.arange(C)[:, None], K - 1)
        # c + u can round up to c + 1 for large c (probability ~1e-12 per draw): redo those
        # few draws on their own row, so that a state of probability 0 is never drawn
        bad = np.flatnonzero((probs[np.arange(C)[:, None], labels] == 0).ravel())
        for j in bad:
            c = j // m
            labels.flat[j] = min(np.searchsorted(cdf[c], u.flat[j], side="right"), K - 1)
        return labels


#: up to this many states, inverse-CDF draws count comparisons instead of searching
_FEW_STATES = 16


def _count_below(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Labels by the inverse CDF: for each u of row c, the number of ``cdf[c, :-1]`` values <= u.

    ``cdf`` (n_chains, K) ends in 1.0 and u < 1, so labels are in [0, K); a state of probability 0
    has the same CDF value as the state before it and is never drawn.
    """
    labels = np.zeros(u.shape, dtype=np.int64)
    for j in range(cdf.shape[1] - 1):
        labels += u >= cdf[:, j:j + 1]
    return labels


def _draw_common(p: np.ndarray, n_chains: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """(n_chains, m) labels drawn from one distribution ``p`` (inverse CDF; a state of probability 0 is never drawn).

    The labels :meth:`DiscreteFamily.sample` draws from the same uniforms, without one CDF per chain.
    """
    cdf = np.cumsum(p)
    cdf[-1] = 1.0
    u = rng.random((n_chains, m))
    if len(p) <= _FEW_STATES:
        return _count_below(cdf[None, :], u)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(p) - 1)


def counts_of(labels: np.ndarray, n_states: int) -> np.ndarray:
    """Per-chain counts. ``labels`` : (n_chains, m) ints -> (n_chains, n_states) int64."""
    C = labels.shape[0]
    flat = labels.astype(np.int64) + n_states * np.arange(C)[:, None]
    return np.bincount(flat.ravel(), minlength=C * n_states).reshape(C, n_states)


@dataclasses.dataclass(frozen=True)
class DiscreteConfig:
    """A simulated discrete chain (saved beside its results).

    ``p0`` is the true distribution (length K); ``schedule`` the M_g.
    """

    n_chains: int
    p0: tuple[float, ...]
    schedule: tuple[int, ...]
    regime: str = "replace"
    sampler: str = "wright-fisher"

    def __post_init__(self) -> None:
        check_int("n_chains", self.n_chains, minimum=1)
        object.__setattr__(self, "p0", tuple(float(x) for x in check_simplex("p0", self.p0)))
        object.__setattr__(self, "schedule", check_schedule("schedule", self.schedule, minimum=1))
        check_choice("sampler", self.sampler, SAMPLERS)
        regime = Regime.parse(self.regime)
        object.__setattr__(self, "regime", str(regime))
        if self.sampler != "literal" and regime.kind != "replace":
            raise InvalidArgument("regime", f"'replace' for sampler {self.sampler!r} (use sampler='literal')",
                                  self.regime)

    @property
    def n_states(self) -> int:
        return len(self.p0)

    @property
    def generations(self) -> int:
        return len(self.schedule)


@dataclasses.dataclass(frozen=True)
class DiscreteChain:
    """Recorded results.

    ``het_mean``, ``absorbed_frac``, ``support_mean`` : (G+1,) means over chains of the
    fitted distribution's heterozygosity, of being a delta, of the support size;
    ``kept`` : (n_keep,) generations whose fitted probabilities ``freqs``
    (n_chains, n_keep, K) are stored (p_0 itself at g = 0);
    ``absorbed_at`` : (n_chains,) first generation at which the chain is a delta (-1: never);
    ``absorbed_state`` : (n_chains,) the state it is absorbed at (-1: not absorbed).
    """

    config: DiscreteConfig
    het_mean: np.ndarray
    absorbed_frac: np.ndarray
    support_mean: np.ndarray
    kept: np.ndarray
    freqs: np.ndarray
    absorbed_at: np.ndarray
    absorbed_state: np.ndarray

    def frequencies(self) -> np.ndarray:
        """(n_chains, n_keep, K) fitted probabilities at the kept generations."""
        return self.freqs


class _Recorder:
    """Collects per-generation summaries from per-chain counts."""

    def __init__(self, config: DiscreteConfig, keep: Sequence[int] | None):
        G, C, K = config.generations, config.n_chains, config.n_states
        kept = np.arange(G + 1) if keep is None else np.unique([check_int("keep[]", k, minimum=0) for k in keep])
        if kept.size and kept[-1] > G:
            raise InvalidArgument("keep", f"generation indices in 0..{G}", int(kept[-1]))
        self.slot = {int(g): j for j, g in enumerate(kept)}
        self.kept = kept
        self.freqs = np.zeros((C, kept.size, K))
        self.het = np.zeros(G + 1)
        self.absorbed = np.zeros(G + 1)
        self.support = np.zeros(G + 1)
        self.absorbed_at = np.full(C, -1, dtype=np.int64)
        self.absorbed_state = np.full(C, -1, dtype=np.int64)
        self.n_absorbed = 0
        self.C = C

    def record(self, g: int, rows: np.ndarray, p: np.ndarray, n_absorbed_before: int = 0) -> None:
        """Fitted probabilities ``p`` (len(rows), K) of the active chains ``rows``; the rest are deltas."""
        self.het[g] = heterozygosity(p).sum() / self.C
        support = (p > 0).sum(axis=1)
        delta = support == 1
        self.support[g] = (support.sum() + n_absorbed_before) / self.C
        first = delta & (self.absorbed_at[rows] < 0)  # a delta for the first time
        new = rows[first]
        self.absorbed_at[new] = g
        self.absorbed_state[new] = np.argmax(p[first], axis=1)
        self.n_absorbed += new.size
        self.absorbed[g] = self.n_absorbed / self.C
        if g in self.slot:
            self.freqs[:, self.slot[g]] = 0.0
            self.freqs[rows, self.slot[g]] = p
            done_mask = self.absorbed_at >= 0  # absorbed before and dropped from ``rows``
            done_mask[rows] = False
            done = np.flatnonzero(done_mask)
            self.freqs[done, self.slot[g], self.absorbed_state[done]] = 1.0

    def result(self, config: DiscreteConfig) -> DiscreteChain:
        return DiscreteChain(config, self.het, self.absorbed, self.support, self.kept, self.freqs,
                             self.absorbed_at, self.absorbed_state)


def simulate_discrete(
    config: DiscreteConfig, rng: np.random.Generator, *, keep: Sequence[int] | None = None, progress: bool = False
) -> DiscreteChain:
    """Simulate ``config.n_chains`` independent discrete chains.

    Parameters
    ----------
    config : DiscreteConfig
    rng : numpy.random.Generator
    keep : sequence of int, optional
        Generations whose per-chain counts are stored (default all 0..G; that is
        n_chains x (G+1) x K integers, so pass a few for large runs).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    DiscreteChain
    """
    rng = as_generator(rng)
    rec = _Recorder(config, keep)
    C, K = config.n_chains, config.n_states
    rec.record(0, np.arange(C), np.broadcast_to(np.asarray(config.p0), (C, K)))
    if config.sampler == "literal":
        _literal(config, rng, rec, progress)
    elif config.sampler == "multinomial":
        _multinomial(config, rng, rec, progress)
    else:
        _wright_fisher(config, rng, rec, progress)
    return rec.result(config)


def _bar(config: DiscreteConfig, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=config.generations, disable=not progress, desc="discrete", unit="gen", leave=False)


def _literal(config: DiscreteConfig, rng, rec: _Recorder, progress: bool) -> None:
    family = DiscreteFamily(config.n_states)
    params0 = DiscreteParams(np.broadcast_to(np.asarray(config.p0), (config.n_chains, config.n_states)).copy())
    rows = np.arange(config.n_chains)
    with _bar(config, progress) as bar:
        def on_data(g: int, data: np.ndarray) -> None:
            rec.record(g + 1, rows, counts_of(data, config.n_states) / data.shape[1])
            bar.update()
        run_generations(family, params0, config.schedule, rng, regime=config.regime, on_data=on_data)


def _multinomial(config: DiscreteConfig, rng, rec: _Recorder, progress: bool) -> None:
    p = np.broadcast_to(np.asarray(config.p0), (config.n_chains, config.n_states))
    rows = np.arange(config.n_chains)
    with _bar(config, progress) as bar:
        for g, m in enumerate(config.schedule):
            counts = rng.multinomial(m, p)  # (n_chains, K): the sufficient statistic of D_g
            p = counts / m
            rec.record(g + 1, rows, p)
            bar.update()


def _wright_fisher(config: DiscreteConfig, rng, rec: _Recorder, progress: bool) -> None:
    C, K = config.n_chains, config.n_states
    dtype = np.uint8 if K <= 256 else np.int32
    p0 = DiscreteParams(np.broadcast_to(np.asarray(config.p0), (1, K)))
    rows = np.arange(C)  # chains still moving; absorbed ones are dropped from the work
    pop = None
    with _bar(config, progress) as bar:
        for g, m in enumerate(config.schedule):
            if pop is None:  # D_0: m fresh draws from p_0 per chain, by the inverse of p_0's one CDF
                pop = _draw_common(p0.probs[0], C, m, rng).astype(dtype)
            else:  # each new point copies a uniformly chosen point of D_{g-1}
                n_prev = pop.shape[1]
                idx = rng.integers(0, n_prev, size=(rows.size, m), dtype=np.int64)
                idx += (np.arange(rows.size) * n_prev)[:, None]
                pop = pop.ravel()[idx]
            n_done = C - rows.size
            counts = counts_of(pop, K)
            rec.record(g + 1, rows, counts / m, n_absorbed_before=n_done)
            moving = (counts > 0).sum(axis=1) > 1
            if not moving.all():
                rows, pop = rows[moving], pop[moving]
            bar.update()
