"""One generational loop for every family, with the data regime as a parameter.

References: Shumailov et al. (2024), section "Theoretical intuition": the dataset
of generation i+1 is drawn from p_{i+1} = alpha p_theta_{i+1} + beta p_i + gamma p_0;
He, Xu & Cheng (2025), arXiv:2502.18049 (fresh real data plus weighted synthetic data);
Feng et al. (2024), arXiv:2406.07515 (synthetic data filtered by a verifier).

The regimes (all act on the data, never on the family):

``replace``               generation g+1 is fitted to M_g points of generation g
                          only (the paper's alpha = 1 case);
``mix:A,B,G``             the paper's mixture: of the M_g training points,
                          round(alpha M_g) come from the current model, round(beta M_g)
                          are a random subset of the previous training set D_{g-1}
                          (data used by the previous generation), and the rest
                          (about gamma M_g) are fresh draws from p_0 (real data);
``accumulate``            refit on every point drawn so far (the pool grows by M_g);
``accumulate-subsample``  refit on a uniform subset of M_g points of that pool;
``curate:Q``              a verifier of strength Q in [0, 1]: candidates are drawn from the
                          current model and each candidate x is kept independently with
                          probability (p_0(x) / max_y p_0(y))^Q, per chain, until M_g are kept;
                          the family is refitted (unweighted) on the kept points. Q = 0 keeps
                          every candidate: exactly ``replace``. Needs the true density: the
                          family's ``log_density`` / ``max_log_density`` at ``params0``, or a
                          ``log_p0_ratio`` given to the loop (:func:`curate_sample`);
``weight:W,K``            n_real = round(M_g / (1 + K)) fresh draws from p_0 plus
                          n_syn = M_g - n_real draws from the current model (K > 0 is the
                          synthetic-to-real ratio), refitted by the family's weighted fit with
                          total weight W in [0, 1] on the real part and 1 - W on the synthetic
                          part (each real point W / n_real, each synthetic one (1 - W) / n_syn:
                          :meth:`Regime.point_weights`). ``weight:1,K`` fits the real part only;
                          W = n_real / M_g is the unweighted fit of the pooled data.

Generation 0 is the true distribution, so D_0 is M_0 fresh points from p_0 in every
regime, fitted unweighted (curation and weighting start with generation 2's data).
Share sizes are deterministic (not multinomial) so that all chains keep rectangular
arrays; subsets are drawn without replacement, independently per chain. A family that
cannot take a regime (``weight:`` needs ``fit_weighted``, ``curate:`` a density; see
:mod:`collapse.simulate.base`) is refused with one :class:`InvalidArgument` before any work.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

import numpy as np

from collapse.core.validation import InvalidArgument, check_choice, check_int, check_schedule
from collapse.simulate.base import Family, as_generator

#: regimes taking no parameters that every sampler in the package supports
#: (kept as the two names :mod:`collapse.simulate.families.gaussian` validates against)
REGIMES = ("replace", "accumulate")
#: every regime the generic loop runs
REGIME_KINDS = ("replace", "mix", "accumulate", "accumulate-subsample", "curate", "weight")
#: the largest synthetic-to-real ratio K of ``weight:W,K``
MAX_RATIO = 1e6
#: ``curate``: a chain may draw at most this many candidates per kept point in one generation
#: (so the verifier must accept more than 1 candidate in this many); past it the loop refuses
CURATE_MAX_CANDIDATES_PER_POINT = 1000
#: ``curate``: candidate elements (points x event size) one round may hold beyond a generation's data
CURATE_BATCH_ELEMENTS = 2**22
#: ``curate``: rounds of candidate batches per generation, at most
CURATE_MAX_ROUNDS = 5000

__all__ = ["CURATE_MAX_CANDIDATES_PER_POINT", "MAX_RATIO", "REGIMES", "REGIME_KINDS", "LoopState", "Regime",
           "check_family_regime", "curate_sample", "run_chain", "run_generations", "step", "subset"]

Source = Callable[[int, np.random.Generator], np.ndarray]
#: log(p_0(x) / max_y p_0(y)) of candidates x (n, m, ...) of the chains ``rows`` (n,): shape (n, m), <= 0
LogRatio = Callable[[np.ndarray, np.ndarray], np.ndarray]

_EXPECTED = ("a regime: replace, accumulate, accumulate-subsample, mix:ALPHA,BETA,GAMMA (weights >= 0 summing "
             "to 1), curate:Q (Q in [0, 1]) or weight:W,K (W in [0, 1], K in (0, 10^6])")


def _number(x: Any) -> bool:
    return isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x)


@dataclasses.dataclass(frozen=True)
class Regime:
    """A data regime of the loop.

    ``kind`` is one of :data:`REGIME_KINDS`; ``alpha``, ``beta``, ``gamma`` (non-negative,
    summing to 1) are the paper's mixing weights and matter only for ``mix``; ``q`` is the
    verifier strength Q in [0, 1] of ``curate`` (None otherwise); ``w`` (the real part's total
    weight W in [0, 1]) and ``k`` (the synthetic-to-real ratio K in (0, 10^6]) belong to
    ``weight`` (None otherwise).
    """

    kind: str = "replace"
    alpha: float = 1.0
    beta: float = 0.0
    gamma: float = 0.0
    q: float | None = None
    w: float | None = None
    k: float | None = None

    def __post_init__(self) -> None:
        check_choice("regime", self.kind, REGIME_KINDS)
        w = (self.alpha, self.beta, self.gamma)
        if not all(_number(x) and x >= 0 for x in w) or abs(sum(w) - 1) > 1e-9:
            raise InvalidArgument("mixing weights (alpha, beta, gamma)", "non-negative numbers summing to 1", w)
        if self.kind != "mix" and w != (1.0, 0.0, 0.0) and w != (1, 0, 0):
            raise InvalidArgument("mixing weights", f"(1, 0, 0) for regime {self.kind!r}", w)
        own = {"curate": ("q",), "weight": ("w", "k")}.get(self.kind, ())
        for name in ("q", "w", "k"):
            if name not in own and getattr(self, name) is not None:
                raise InvalidArgument(f"regime parameter {name}", f"None for regime {self.kind!r}",
                                      getattr(self, name))
        bounds = {"q": ("the verifier strength Q of curate", "a number in [0, 1]", lambda x: 0 <= x <= 1),
                  "w": ("the real data's weight W of weight", "a number in [0, 1]", lambda x: 0 <= x <= 1),
                  "k": ("the synthetic-to-real ratio K of weight", "a number in (0, 10^6]",
                        lambda x: 0 < x <= MAX_RATIO)}
        for name in own:
            what, expected, ok = bounds[name]
            x = getattr(self, name)
            if not (_number(x) and ok(x)):
                raise InvalidArgument(what, "a finite " + expected[2:], x)
            object.__setattr__(self, name, float(x))

    @classmethod
    def parse(cls, text: "str | Regime") -> "Regime":
        """``"replace"``, ``"accumulate"``, ``"accumulate-subsample"``, ``"mix:ALPHA,BETA,GAMMA"``,
        ``"curate:Q"`` or ``"weight:W,K"`` (finite numbers; ``str`` gives this form back)."""
        if isinstance(text, Regime):
            return text
        if not isinstance(text, str):
            raise InvalidArgument("regime", "a Regime or a string such as 'mix:0.8,0.1,0.1'", text)
        kind, sep, rest = text.partition(":")
        arity = {"mix": 3, "curate": 1, "weight": 2}
        if kind not in arity:
            if sep:
                raise InvalidArgument("regime", f"no parameters for {kind!r}", text)
            return cls(check_choice("regime", kind, REGIME_KINDS))
        form = {"mix": "mix:ALPHA,BETA,GAMMA", "curate": "curate:Q", "weight": "weight:W,K"}[kind]
        try:
            values = [float(x) for x in rest.split(",")]
        except ValueError:
            values = []
        if len(values) != arity[kind] or not all(math.isfinite(v) for v in values):
            raise InvalidArgument("regime", f"{form!r} with {arity[kind]} finite number"
                                            f"{'s' if arity[kind] > 1 else ''}", text)
        if kind == "mix":
            return cls("mix", *values)
        if kind == "curate":
            return cls("curate", q=values[0])
        return cls("weight", w=values[0], k=values[1])

    def shares(self, m: int) -> tuple[int, int, int]:
        """(n_model, n_previous, n_real) for a training set of ``m`` points."""
        if self.kind == "weight":
            n_real = int(round(m / (1.0 + self.k)))
            return m - n_real, 0, n_real
        if self.kind != "mix":
            return m, 0, 0
        n_prev = int(round(self.beta * m))
        n_real = min(int(round(self.gamma * m)), m - n_prev)
        return m - n_prev - n_real, n_prev, n_real

    def point_weights(self, m: int) -> np.ndarray:
        """``weight``: the weight of each of the ``m`` training points, shape (m,), summing to 1.

        The training set is ``n_syn`` model draws followed by ``n_real`` real ones
        (:meth:`shares`): each synthetic point (1 - W) / n_syn, each real point W / n_real.
        An empty part must carry no weight (W = 1 with no synthetic point, W = 0 with no real one).
        """
        if self.kind != "weight":
            raise InvalidArgument("regime", "a 'weight:W,K' regime (the others fit unweighted)", str(self))
        n_syn, _, n_real = self.shares(m)
        if (n_real == 0 and self.w > 0) or (n_syn == 0 and self.w < 1):
            raise InvalidArgument(
                "regime", f"a ratio K that leaves both parts of M_g = {m} points non-empty (n_real = "
                          f"round(M_g / (1 + K)) = {n_real}, n_syn = {n_syn}), or W = {0 if n_real == 0 else 1}",
                str(self))
        out = np.empty(m)
        out[:n_syn] = (1.0 - self.w) / n_syn if n_syn else 0.0
        out[n_syn:] = self.w / n_real if n_real else 0.0
        return out

    def __str__(self) -> str:
        # shortest round-trip repr, so that parse(str(r)) == r
        if self.kind == "mix":
            return "mix:" + ",".join(repr(float(w)) for w in (self.alpha, self.beta, self.gamma))
        if self.kind == "curate":
            return f"curate:{self.q!r}"
        if self.kind == "weight":
            return f"weight:{self.w!r},{self.k!r}"
        return self.kind


@dataclasses.dataclass(frozen=True)
class LoopState:
    """Where a chain is: enough to resume it exactly (with the generator's state).

    ``params``  the fitted model of generation ``generation`` (leading axis n_chains);
    ``data``    D_{generation-1}, the training set ``params`` was fitted to
                (None at generation 0), shape (n_chains, n, ...);
    ``pool``    every point drawn so far (accumulate regimes only).
    """

    generation: int
    params: Any
    data: np.ndarray | None = None
    pool: np.ndarray | None = None


def subset(data: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """A uniform random subset of ``k`` points per chain, without replacement.

    ``data`` : ndarray of shape (n_chains, n, ...); returns shape (n_chains, k, ...).
    Falls back to drawing with replacement when ``k > n`` (schedules that grow).
    """
    C, n = data.shape[:2]
    if k > n:
        idx = rng.integers(0, n, size=(C, k))
    elif k == n:
        idx = rng.permuted(np.broadcast_to(np.arange(n), (C, n)), axis=1)
    else:
        idx = np.argpartition(rng.random((C, n)), k - 1, axis=1)[:, :k] if k > 0 else np.zeros((C, 0), int)
    idx = idx.reshape(idx.shape + (1,) * (data.ndim - 2))
    return np.take_along_axis(data, idx, axis=1)


def _family_name(family: Any) -> str:
    return str(getattr(family, "name", type(family).__name__))


def check_family_regime(family: Family, regime: "str | Regime", *, has_truth: bool = False) -> Regime:
    """Refuse a regime ``family`` cannot run (before any work); return the parsed regime.

    ``weight:`` needs ``family.fit_weighted``; ``curate:`` needs the true density, the family's
    ``log_density`` and ``max_log_density`` (or ``has_truth``: the caller supplies the log-ratio).
    """
    regime = Regime.parse(regime)
    if regime.kind == "weight" and not callable(getattr(family, "fit_weighted", None)):
        raise InvalidArgument("regime", f"a family with a weighted fit (fit_weighted) for {str(regime)!r}",
                              f"the {_family_name(family)} family, whose fit takes no weights")
    if regime.kind == "curate" and not has_truth and not all(
            callable(getattr(family, f, None)) for f in ("log_density", "max_log_density")):
        raise InvalidArgument("regime", f"a family with the true density (log_density, max_log_density) for "
                                        f"{str(regime)!r}", f"the {_family_name(family)} family, which has none")
    return regime


def _take(params: Any, rows: np.ndarray, n_chains: int) -> Any:
    """``params`` of the chains ``rows`` only (a dataclass whose arrays lead with the chain axis), else None."""
    if rows.size == n_chains:
        return params
    if not dataclasses.is_dataclass(params) or isinstance(params, type):
        return None
    changes = {}
    for f in dataclasses.fields(params):
        v = getattr(params, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1:
            if v.shape[0] != n_chains:
                return None
            changes[f.name] = v[rows]
    try:
        return dataclasses.replace(params, **changes)
    except (TypeError, ValueError):
        return None


def _truth_ratio(family: Any, params0: Any) -> LogRatio:
    """log(p_0(x) / max p_0) from the family's density at generation 0's params (one truth per chain)."""
    if params0 is None:
        raise InvalidArgument("log_p0_ratio", "the truth's log(p_0(x) / max p_0) for the curate regime when params0 "
                              "is None (the family's density needs the truth's params)", None)
    top = np.asarray(family.max_log_density(params0), dtype=float)

    def log_ratio(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        n0 = top.shape[0]
        sub = _take(params0, rows, n0)
        if sub is None:  # params we cannot slice: evaluate every chain's truth at its own points
            full = np.zeros((n0,) + x.shape[1:], dtype=x.dtype)
            full[rows] = x
            return family.log_density(params0, full)[rows] - top[rows, None]
        return family.log_density(sub, x) - top[rows, None]

    return log_ratio


def curate_sample(family: Family, params: Any, m: int, rng: np.random.Generator, q: float,
                  log_ratio: LogRatio, *, generation: int | None = None, regime: str | None = None) -> np.ndarray:
    """``m`` kept points per chain: candidates from ``params``, each kept with probability exp(q log_ratio).

    Rejection sampling, per chain and independently: chain ``c`` draws candidates from its
    model until ``m`` are kept, and its kept points are the first ``m`` accepted, in order
    (a batch drawn past the m-th acceptance is discarded, which leaves that law unchanged).
    The chains still short of ``m`` draw together in batches sized from their observed
    acceptance (Laplace estimate, plus three standard deviations), so a typical
    generation takes two or three numpy rounds. A round holds at most a generation's data
    or :data:`CURATE_BATCH_ELEMENTS` elements of candidates, whichever is larger.

    Parameters
    ----------
    family : Family
        Supplies ``sample``.
    params : params of the family
        The current models (leading axis n_chains).
    m : int
        Points to keep per chain.
    rng : numpy.random.Generator
    q : float
        The verifier's strength Q in [0, 1]; 0 keeps every candidate (one ``sample`` call).
    log_ratio : callable(x, rows) -> ndarray
        log(p_0(x) / max_y p_0(y)) <= 0 of candidates ``x`` (n, b, ...) of the chains ``rows``
        (n,), shape (n, b); values above 0 (a maximum found numerically) count as 0.
    generation, regime : optional
        Named in the error message.

    Returns
    -------
    ndarray of shape (n_chains, m, *event_shape)

    Raises
    ------
    InvalidArgument
        ``regime``, when a chain would need more than
        :data:`CURATE_MAX_CANDIDATES_PER_POINT` x ``m`` candidates (acceptance too low).
    """
    if q == 0 or m == 0:
        return family.sample(params, m, rng)
    probe = family.sample(params, 0, rng)
    C, event = probe.shape[0], probe.shape[2:]
    size = int(np.prod(event, dtype=np.int64))
    kept = np.empty((C, m) + event, dtype=probe.dtype)
    n_kept, drawn, accepted = np.zeros(C, np.int64), np.zeros(C, np.int64), np.zeros(C, np.int64)
    cap = CURATE_MAX_CANDIDATES_PER_POINT * m
    budget = max(C * m, CURATE_BATCH_ELEMENTS // max(size, 1))  # candidate points per round
    active = np.arange(C)
    for _ in range(CURATE_MAX_ROUNDS):
        need = m - n_kept[active]
        rate = (accepted[active] + 1.0) / (drawn[active] + 1.0)
        b = int(np.ceil(np.max((need + 3 * np.sqrt(need) + 1) / rate)))
        b = max(1, min(b, budget // active.size, int(np.max(cap - drawn[active]))))
        sub = _take(params, active, C)
        x = family.sample(params, b, rng)[active] if sub is None else family.sample(sub, b, rng)
        lr = np.minimum(np.asarray(log_ratio(x, active), dtype=float), 0.0)
        keep = rng.random(lr.shape) < np.exp(q * lr)  # (A, b): the verifier's verdicts
        rank = np.cumsum(keep, axis=1)  # the how-many-th acceptance of its chain each candidate is
        take = keep & (rank <= need[:, None])
        i, j = np.nonzero(take)
        kept[active[i], n_kept[active][i] + rank[i, j] - 1] = x[i, j]
        n_kept[active] += take.sum(axis=1)
        drawn[active] += b
        accepted[active] += keep.sum(axis=1)
        active = active[n_kept[active] < m]
        if active.size == 0:
            return kept
        stuck = active[drawn[active] >= cap]
        if stuck.size:
            break
    c = int(active[np.argmax(drawn[active])])
    at = "" if generation is None else f" at generation {generation}"
    raise InvalidArgument(
        "regime", f"a verifier that accepts more than 1 candidate in {CURATE_MAX_CANDIDATES_PER_POINT} (at most "
                  f"{cap} candidates for M_g = {m} kept points per chain); chain {c} kept {int(n_kept[c])} of "
                  f"{drawn[c]} candidates{at} (acceptance {accepted[c] / max(drawn[c], 1):.2g}): lower Q",
        regime if regime is not None else f"curate:{q!r}")


def step(
    family: Family, state: LoopState, m: int, rng: np.random.Generator, regime: Regime, source: Source,
    *, log_ratio: LogRatio | None = None,
) -> LoopState:
    """One generation: build the training set of ``m`` points under ``regime``, refit.

    ``curate`` needs ``log_ratio`` (:func:`curate_sample`); :func:`run_chain` builds it from the
    family's density at ``params0`` unless given one.
    """
    regime = check_family_regime(family, regime, has_truth=log_ratio is not None)
    if regime.kind == "curate" and log_ratio is None:
        raise InvalidArgument("log_ratio", f"the true density's log-ratio for {str(regime)!r} (run_chain builds "
                                           "it from params0)", None)
    if state.data is None:  # generation 0 is the truth: D_0 is real data, fitted unweighted
        new = source(m, rng)
    elif regime.kind == "mix":
        n_model, n_prev, n_real = regime.shares(m)
        parts = [family.sample(state.params, n_model, rng), subset(state.data, n_prev, rng), source(n_real, rng)]
        new = np.concatenate([p for p in parts if p.shape[1] > 0], axis=1)
    elif regime.kind == "weight":
        weights = regime.point_weights(m)  # (m,): checks that every part with weight has points
        n_syn, _, n_real = regime.shares(m)
        parts = [family.sample(state.params, n_syn, rng), source(n_real, rng)]
        new = np.concatenate([p for p in parts if p.shape[1] > 0], axis=1)  # synthetic first, then real
        w = np.broadcast_to(weights, new.shape[:2])
        return LoopState(state.generation + 1, family.fit_weighted(new, w), new, state.pool)
    elif regime.kind == "curate":
        new = curate_sample(family, state.params, m, rng, regime.q, log_ratio, generation=state.generation,
                            regime=str(regime))
    else:
        new = family.sample(state.params, m, rng)  # (n_chains, m, ...)
    pool = state.pool
    if regime.kind in ("accumulate", "accumulate-subsample"):
        pool = new if pool is None else np.concatenate([pool, new], axis=1)
        train = pool if regime.kind == "accumulate" else subset(pool, m, rng)
    else:
        train = new
    return LoopState(state.generation + 1, family.fit(train), train, pool)


def run_generations(
    family: Family,
    params0: Any,
    schedule: Sequence[int],
    rng: np.random.Generator,
    *,
    regime: "str | Regime" = "replace",
    on_generation: Callable[[int, Any], None] | None = None,
    on_data: Callable[[int, np.ndarray], None] | None = None,
    source: Source | None = None,
    state: LoopState | None = None,
    log_p0_ratio: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Any:
    """Run the literal chain: sample ``M_g`` points from the current model, refit.

    Parameters
    ----------
    family : Family
        Supplies ``fit`` and ``sample`` (``fit_weighted`` for ``weight:``, ``log_density`` and
        ``max_log_density`` for ``curate:``; see :mod:`collapse.simulate.base`).
    params0 : params of the family
        Generation 0, the true distribution (leading axis ``n_chains``).
    schedule : sequence of int, length G
        ``M_g``, the size of the training set of generation g+1.
    rng : numpy.random.Generator
    regime : str or Regime
        One of :data:`REGIME_KINDS` (``"mix:ALPHA,BETA,GAMMA"``, ``"curate:Q"``,
        ``"weight:W,K"`` with their parameters), or a :class:`Regime`. See the module docstring.
    on_generation : callable(g, params), optional
        Called for g = 0 (with ``params0``) and after each refit, g = 1..G.
    on_data : callable(g, data), optional
        Called with D_g, the training set of generation g+1, shape (n_chains, M_g, ...).
    source : callable(m, rng) -> ndarray, optional
        Fresh real data, shape (n_chains, m, ...); default ``family.sample(params0, m, rng)``.
        The VAE passes its real dataset here.
    state : LoopState, optional
        Resume from this state (``schedule`` then lists the remaining generations).
    log_p0_ratio : callable(x) -> ndarray, optional
        ``curate`` only: log(p_0(x) / max_y p_0(y)) of points x (n, b, ...), shape (n, b), the
        same truth for every chain; default from ``family.log_density(params0, x)`` and
        ``family.max_log_density(params0)`` (needed when ``params0`` is not the truth's params,
        e.g. with a ``source``).

    Returns
    -------
    params of the family
        The last generation's.
    """
    return run_chain(family, params0, schedule, rng, regime=regime, on_generation=on_generation,
                     on_data=on_data, source=source, state=state, log_p0_ratio=log_p0_ratio).params


def run_chain(
    family: Family,
    params0: Any,
    schedule: Sequence[int],
    rng: np.random.Generator,
    *,
    regime: "str | Regime" = "replace",
    on_generation: Callable[[int, Any], None] | None = None,
    on_data: Callable[[int, np.ndarray], None] | None = None,
    source: Source | None = None,
    state: LoopState | None = None,
    log_p0_ratio: Callable[[np.ndarray], np.ndarray] | None = None,
) -> LoopState:
    """As :func:`run_generations`, returning the final :class:`LoopState` (to save or resume)."""
    rng = as_generator(rng)
    regime = check_family_regime(family, regime, has_truth=log_p0_ratio is not None)
    schedule = check_schedule("schedule", schedule, minimum=1)
    if regime.kind == "weight":  # every generation's shares, before any work
        for m in schedule:
            regime.point_weights(m)
    log_ratio = None
    if regime.kind == "curate":
        if log_p0_ratio is not None:
            def log_ratio(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
                return log_p0_ratio(x)
        else:
            log_ratio = _truth_ratio(family, params0)
    if source is None:
        def source(m: int, rng: np.random.Generator) -> np.ndarray:
            return family.sample(params0, m, rng)
    if state is None:
        state = LoopState(0, params0)
        if on_generation is not None:
            on_generation(0, params0)
    else:
        check_int("state.generation", state.generation, minimum=0)
    for m in schedule:
        state = step(family, state, m, rng, regime, source, log_ratio=log_ratio)
        if on_data is not None:
            on_data(state.generation - 1, state.data)
        if on_generation is not None:
            on_generation(state.generation, state.params)
    return state
