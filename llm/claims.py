"""The claims of Fig. 1 and of the repetition ablation, each decided on a run's own data.

Five claims (Shumailov et al. 2024, Fig. 1b, 1c and section "Ablation: Repetitions"):

1. ``test-perplexity-rises``: each generation's model is worse on the real test split;
2. ``towards-probable``: later generations' training sequences are more probable under the
   generation-0 model (their per-sequence perplexity moves lower);
3. ``longer-tail``: a longer right tail of that per-sequence perplexity appears in later generations;
4. ``kept-data-helps``: with 10% real data kept the degradation is smaller;
5. ``penalty-worse``: with a repetition penalty of 2.0 the later generations are worse.

The decision
------------
Every claim is tested within each run (a setting and a seed; two settings are paired by
seed) with a one-sided test at level ``alpha``, on the variation the run itself holds (the
real test blocks, scored by two models, or the training sequences of two generations):

- claims 1, 4, 5: Wilcoxon signed-rank test on per-block test NLLs, paired by test block
  (1: last generation against generation 0; 4: the rise without kept data against the rise
  with it; 5: penalty against none, last generation);
- claim 2: Mann-Whitney U test of each later generation's generated sequences against
  generation 0's (real) ones, every later generation;
- claim 3: Fisher's exact test of the share of the last generation's generated sequences whose
  perplexity exceeds their median by more than generation 1's 95th percentile does (a tail
  measured against the body, so that a shift of the whole distribution is not a tail), against
  generation 1's own 5%.

A claim is **reproduced** when its test rejects in every run (claim 2: and every generation): an
intersection-union test, whose
false-alarm level (the probability of calling it reproduced when the claim is false in some run)
is at most ``alpha`` whatever the number of runs. It is **not reproduced** otherwise; each verdict
carries the numbers and p-values, and for a claim that does not reproduce, what the ground truth
(the synthetic language's exact scores, when the run has one) says about why.

What the seeds can decide: these tests are about the runs at hand (their test blocks and data);
whether the effect holds over the randomness of training itself is a test across seeds, and a
sign test across ``n`` seeds reaches ``alpha`` only when ``2 ** -n <= alpha`` (5 seeds at 0.05):
:func:`seeds_note` says which the run can decide.

Nothing here trains or generates: the inputs are the records of
:func:`collapse.figures.llm.load_runs` (``metrics.json`` with its ``scores.npz`` arrays).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

__all__ = ["ALPHA", "Verdict", "check_claims", "load_records", "seeds_note", "CLAIMS"]

#: the false-alarm level of every claim's decision
ALPHA = 0.05
MAIN, KEPT, REP = "no-data-kept", "10pct-kept", "repetition-penalty"
#: claim id -> what the paper says
CLAIMS = {
    "test-perplexity-rises": "Test perplexity rises over the generations (Fig. 1b, 1c right).",
    "towards-probable": "Later generations' training sequences are more probable under the generation-0 model "
                        "(per-sequence perplexities move lower; Fig. 1b, 1c left).",
    "longer-tail": "A longer right tail of per-sequence perplexity appears in later generations (Fig. 1b, 1c left).",
    "kept-data-helps": "With 10% of the real data kept, the degradation is smaller (Fig. 1c against 1b).",
    "penalty-worse": "A repetition penalty of 2.0 makes the later generations worse (perplexity about doubles; "
                     "section 'Ablation: Repetitions').",
}

Runs = dict[str, dict[int, list[dict]]]


@dataclasses.dataclass
class Verdict:
    """One claim decided on one run folder's data.

    claim        the claim's id (:data:`CLAIMS`)
    statement    what the paper claims
    reproduced   True / False; None when the run lacks what the test needs (a setting, a generation)
    numbers      the run's numbers, one line
    test         the test and its false-alarm level
    p_values     per run ("seed 0": p), the largest decides
    why          when not reproduced: what the ground truth says about why (or what is missing)
    """

    claim: str
    statement: str
    reproduced: bool | None
    numbers: str
    test: str
    p_values: dict[str, float] = dataclasses.field(default_factory=dict)
    why: str = ""

    @property
    def status(self) -> str:
        return {True: "reproduced", False: "not reproduced", None: "cannot be decided"}[self.reproduced]

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "status": self.status}


def load_records(folder, config: dict) -> Runs:
    """``{setting: {seed: [record, ...]}}`` of the finished generations of the run in ``folder`` (``config``:
    its config as JSON), each record its ``metrics.json`` with the ``scores.npz`` arrays under ``"scores"``;
    a run's generations are kept up to its first unfinished one. Damaged files: DamagedFile."""
    from pathlib import Path

    from collapse.llm.chain import METRICS, SCORES, check_metrics, check_scores

    folder = Path(folder)
    runs: Runs = {}
    for s in config["settings"]:
        for seed in config["seeds"]:
            recs = []
            for g in range(int(config["generations"])):
                d = folder / "runs" / s["name"] / f"seed{seed}" / f"gen{g:02d}"
                if not ((d / METRICS).exists() and (d / SCORES).exists()):
                    break
                m = check_metrics(d / METRICS, s["name"], int(seed), g)
                m["scores"] = check_scores(d / SCORES, where=(s["name"], int(seed), g))
                recs.append(m)
            if recs:
                runs.setdefault(s["name"], {})[int(seed)] = recs
    return runs


# ---------------------------------------------------------------------------- tests


def _wilcoxon_greater(d: np.ndarray) -> float:
    """One-sided Wilcoxon signed-rank p-value of H1: the median of ``d`` is > 0 (1.0 if all zero)."""
    from scipy.stats import wilcoxon

    d = np.asarray(d, dtype=float)
    d = d[np.isfinite(d)]
    if not len(d) or not np.any(d != 0):
        return 1.0
    return float(wilcoxon(d, alternative="greater").pvalue)


def _mannwhitney_less(a: np.ndarray, b: np.ndarray) -> float:
    """One-sided Mann-Whitney p-value of H1: ``a`` tends to be smaller than ``b``."""
    from scipy.stats import mannwhitneyu

    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not len(a) or not len(b):
        return 1.0
    return float(mannwhitneyu(a, b, alternative="less").pvalue)


def _fisher_greater(k1: int, n1: int, k0: int, n0: int) -> float:
    """One-sided Fisher exact p-value of H1: the share ``k1 / n1`` exceeds ``k0 / n0``."""
    from scipy.stats import fisher_exact

    return float(fisher_exact([[k1, n1 - k1], [k0, n0 - k0]], alternative="greater").pvalue)


def _decide(p: dict[str, float], alpha: float) -> bool:
    """Intersection-union: reproduced when every run's test rejects at ``alpha``."""
    return bool(p) and max(p.values()) <= alpha


def _fmt_p(p: dict[str, float]) -> str:
    return ", ".join(f"{k}: p = {v:.2g}" for k, v in p.items())


# ---------------------------------------------------------------------------- what the records hold


def _arr(rec: dict, key: str) -> np.ndarray | None:
    v = rec.get("scores", {}).get(key)
    return None if v is None else np.asarray(v, dtype=float)


def _generated(rec: dict) -> np.ndarray:
    """Per-sequence perplexity under generation 0 of the generation's generated sequences (all, at generation 0)."""
    ppl = _arr(rec, "perplexity_gen0")
    real = rec.get("scores", {}).get("is_real")
    if real is None or int(rec.get("generation", 0)) == 0:
        return ppl
    return ppl[~np.asarray(real, dtype=bool)]


def _ppl(rec: dict) -> float:
    return float(rec["test"]["perplexity"])


def _truth(rec: dict, *keys: str) -> float:
    v: Any = rec
    for k in keys:
        if not isinstance(v, dict) or k not in v or v[k] is None:
            return float("nan")
        v = v[k]
    return float(v)


def _mean_over(seeds: dict[int, list[dict]], get, g: int) -> float:
    vals = np.array([get(recs[g]) for recs in seeds.values() if len(recs) > g], dtype=float)
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if len(vals) else float("nan")


def _last(seeds: dict[int, list[dict]]) -> int:
    return min(len(r) for r in seeds.values()) - 1


def _truth_line(seeds: dict[int, list[dict]], g0: int, g1: int) -> str:
    """The ground truth's view of generations ``g0`` -> ``g1`` (mean over runs), or '' without a truth."""
    kl0, kl1 = (_mean_over(seeds, lambda r: _truth(r, "truth", "kl"), g) for g in (g0, g1))
    if math.isnan(kl0):
        return ""
    tail0, tail1 = (_mean_over(seeds, lambda r: _truth(r, "truth", "tail_mass_model") /
                               _truth(r, "truth", "tail_mass_true"), g) for g in (g0, g1))
    miss0, miss1 = (_mean_over(seeds, lambda r: _truth(r, "data", "missing_unigram_mass"), g) for g in (g0, g1))
    return (f"exact KL(truth || model) {kl0:.3f} -> {kl1:.3f} nats/token, model/true mass on the 10% tail "
            f"{tail0:.2f} -> {tail1:.2f}, true mass absent from the training data {miss0:.3f} -> {miss1:.3f} "
            f"(generation {g0} -> {g1})")


# ---------------------------------------------------------------------------- the claims


def _test_perplexity_rises(runs: Runs, alpha: float) -> Verdict:
    claim = "test-perplexity-rises"
    test = (f"per run: Wilcoxon signed-rank, one-sided, on the per-block test NLL of the last generation minus "
            f"generation 0 (paired by test block); reproduced if every run rejects at {alpha:g}")
    s = MAIN if MAIN in runs else next(iter(runs), None)
    if s is None or _last(runs[s]) < 1:
        return Verdict(claim, CLAIMS[claim], None, "needs a setting with at least 2 generations", test)
    seeds, G = runs[s], _last(runs[s])
    p, parts = {}, []
    for seed, recs in seeds.items():
        a, b = _arr(recs[0], "test_nll"), _arr(recs[G], "test_nll")
        if a is None or b is None:
            return Verdict(claim, CLAIMS[claim], None, "the run has no per-block test NLL (an older run folder)",
                           test)
        p[f"seed {seed}"] = _wilcoxon_greater(b - a)
        parts.append(f"seed {seed}: {_ppl(recs[0]):.2f} -> {_ppl(recs[G]):.2f}")
    ok = _decide(p, alpha)
    numbers = f"{s}, test perplexity generation 0 -> {G}: " + "; ".join(parts) + f" ({_fmt_p(p)})"
    why = "" if ok else ("the models did not get worse on real text. Ground truth: " + (_truth_line(seeds, 0, G) or
                                                                                        "none (a real-data run)"))
    return Verdict(claim, CLAIMS[claim], ok, numbers, test, p, why)


def _towards_probable(runs: Runs, alpha: float) -> Verdict:
    claim = "towards-probable"
    test = (f"per run: Mann-Whitney U, one-sided, of each later generation's generated sequences against generation "
            f"0's real ones (perplexity under generation 0); reproduced if every generation of every run rejects "
            f"at {alpha:g}")
    s = MAIN if MAIN in runs else next(iter(runs), None)
    if s is None or _last(runs[s]) < 1:
        return Verdict(claim, CLAIMS[claim], None, "needs a setting with at least 2 generations", test)
    seeds, G = runs[s], _last(runs[s])
    p, med = {}, {g: [] for g in range(G + 1)}
    for seed, recs in seeds.items():
        ref = _generated(recs[0])
        p[f"seed {seed}"] = max(_mannwhitney_less(_generated(recs[g]), ref) for g in range(1, G + 1))
        for g in range(G + 1):
            med[g].append(float(np.median(_generated(recs[g]))))
    ok = _decide(p, alpha)
    numbers = (f"{s}, median per-sequence perplexity under generation 0, by generation: "
               + ", ".join(f"{np.mean(v):.2f}" for v in med.values()) + f" ({_fmt_p(p)})")
    why = ""
    if not ok:
        t = [_mean_over(seeds, lambda r: float(np.median(_arr(r, "true_nll") if _arr(r, "true_nll") is not None
                                                         else [np.nan])), g) for g in (0, 1, G)]
        why = ("the generated sequences are not more probable under the generation-0 model than the real ones"
               + (f"; under the truth their median per-token NLL is {t[0]:.2f} (real), {t[1]:.2f} (generation 1), "
                  f"{t[2]:.2f} (generation {G})" if not math.isnan(t[0]) else ""))
    return Verdict(claim, CLAIMS[claim], ok, numbers, test, p, why)


def _tail_share(ref: np.ndarray, x: np.ndarray, q: float = 0.95) -> tuple[int, int, int, int, float]:
    """``(k_x, n_x, k_ref, n_ref, ratio)``: sequences whose perplexity exceeds their own generation's median
    by more than ``ratio``, the factor by which ``ref``'s ``q`` quantile exceeds its median, in ``x`` and ``ref``.

    A scale-free tail: a distribution that only moves (all sequences more or less probable) keeps its
    share; one whose right tail grows longer than its body's spread has more above the factor.
    """
    lx, lr = np.log(x), np.log(ref)
    cut = float(np.quantile(lr - np.median(lr), q))
    return int((lx - np.median(lx) > cut).sum()), len(x), int((lr - np.median(lr) > cut).sum()), len(ref), \
        float(np.exp(cut))


def _longer_tail(runs: Runs, alpha: float) -> Verdict:
    claim = "longer-tail"
    test = (f"per run: Fisher exact, one-sided: the share of the last generation's generated sequences whose "
            f"perplexity exceeds their generation's median by more than generation 1's 95th percentile does "
            f"(a tail measured against the body, not a shift) is larger than generation 1's 5%; reproduced if "
            f"every run rejects at {alpha:g}")
    s = MAIN if MAIN in runs else next(iter(runs), None)
    if s is None or _last(runs[s]) < 2:
        return Verdict(claim, CLAIMS[claim], None, "needs a setting with at least 3 generations (two of generated "
                       "data)", test)
    seeds, G = runs[s], _last(runs[s])
    p, parts = {}, []
    for seed, recs in seeds.items():
        ref, x = _generated(recs[1]), _generated(recs[G])
        k, n, k0, n0, ratio = _tail_share(ref, x)
        p[f"seed {seed}"] = _fisher_greater(k, n, k0, n0)
        real = _generated(recs[0])
        beyond = [float((v > np.quantile(real, 0.99)).mean()) for v in (ref, x)]
        parts.append(f"seed {seed}: {k / n:.1%} of generation {G} above {ratio:.2f} x its median (generation 1: "
                     f"{k0 / n0:.1%}); above the real data's 99th percentile: {beyond[0]:.1%} (generation 1), "
                     f"{beyond[1]:.1%} (generation {G})")
    ok = _decide(p, alpha)
    numbers = f"{s}: " + "; ".join(parts) + f" ({_fmt_p(p)})"
    why = ""
    if not ok:
        div = [_mean_over(seeds, lambda r: _truth(r, "data", "distinct_tokens"), g) for g in (0, 1, G)]

        def spread(r):
            t = _arr(r, "true_nll")
            if t is None:
                return float("nan")
            t = t[~np.asarray(r["scores"]["is_real"], bool)] if int(r["generation"]) else t
            return float(np.quantile(t, 0.95) - np.median(t))

        t = [_mean_over(seeds, spread, g) for g in (0, 1, G)]
        why = (f"the later generations' data did not grow a tail of improbable sequences: it narrows onto fewer "
               f"distinct continuations (distinct tokens per block {div[0]:.1f} real, {div[1]:.1f} generation 1, "
               f"{div[2]:.1f} generation {G})"
               + (f"; under the truth, the 95th percentile of per-token NLL lies {t[0]:.2f} (real), {t[1]:.2f} "
                  f"(generation 1), {t[2]:.2f} (generation {G}) nats above the median" if not math.isnan(t[0])
                  else "")
               + "; " + (_truth_line(seeds, 1, G) or "no ground truth (a real-data run)"))
    return Verdict(claim, CLAIMS[claim], ok, numbers, test, p, why)


def _rise(recs: list[dict], G: int) -> np.ndarray | None:
    a, b = _arr(recs[0], "test_nll"), _arr(recs[G], "test_nll")
    return None if a is None or b is None else b - a


def _kept_data_helps(runs: Runs, alpha: float) -> Verdict:
    claim = "kept-data-helps"
    test = (f"per seed: Wilcoxon signed-rank, one-sided, on the rise of per-block test NLL (last generation minus "
            f"generation 0) without kept data minus the rise with 10% kept (paired by test block and seed); "
            f"reproduced if every seed rejects at {alpha:g}")
    if MAIN not in runs or KEPT not in runs:
        return Verdict(claim, CLAIMS[claim], None, f"needs the settings {MAIN} and {KEPT}", test)
    both = sorted(set(runs[MAIN]) & set(runs[KEPT]))
    G = min(_last(runs[MAIN]), _last(runs[KEPT]))
    if not both or G < 1:
        return Verdict(claim, CLAIMS[claim], None, "needs both settings with the same seeds, 2 generations or more",
                       test)
    p, parts = {}, []
    for seed in both:
        a, b = runs[MAIN][seed], runs[KEPT][seed]
        ra, rb = _rise(a, G), _rise(b, G)
        if ra is None or rb is None:
            return Verdict(claim, CLAIMS[claim], None, "the run has no per-block test NLL (an older run folder)",
                           test)
        p[f"seed {seed}"] = _wilcoxon_greater(ra - rb)
        parts.append(f"seed {seed}: {_ppl(a[0]):.2f} -> {_ppl(a[G]):.2f} without, {_ppl(b[0]):.2f} -> "
                     f"{_ppl(b[G]):.2f} with 10% kept")
    ok = _decide(p, alpha)
    numbers = f"test perplexity generation 0 -> {G}: " + "; ".join(parts) + f" ({_fmt_p(p)})"
    why = ""
    if not ok:
        why = ("keeping 10% real data did not slow the degradation here. Ground truth, without: "
               + (_truth_line({s: runs[MAIN][s] for s in both}, 0, G) or "none")
               + "; with 10% kept: " + (_truth_line({s: runs[KEPT][s] for s in both}, 0, G) or "none"))
    return Verdict(claim, CLAIMS[claim], ok, numbers, test, p, why)


def _penalty_worse(runs: Runs, alpha: float) -> Verdict:
    claim = "penalty-worse"
    test = (f"per seed: Wilcoxon signed-rank, one-sided, on the per-block test NLL of the last generation with the "
            f"penalty minus without (paired by test block and seed); reproduced if every seed rejects at {alpha:g}")
    if MAIN not in runs or REP not in runs:
        return Verdict(claim, CLAIMS[claim], None, f"needs the settings {MAIN} and {REP}", test)
    both = sorted(set(runs[MAIN]) & set(runs[REP]))
    G = min(_last(runs[MAIN]), _last(runs[REP]))
    if not both or G < 1:
        return Verdict(claim, CLAIMS[claim], None, "needs both settings with the same seeds, 2 generations or more",
                       test)
    p, parts, ratios = {}, [], []
    for seed in both:
        a, b = runs[MAIN][seed], runs[REP][seed]
        na, nb = _arr(a[G], "test_nll"), _arr(b[G], "test_nll")
        if na is None or nb is None:
            return Verdict(claim, CLAIMS[claim], None, "the run has no per-block test NLL (an older run folder)",
                           test)
        p[f"seed {seed}"] = _wilcoxon_greater(nb - na)
        ratios.append((_ppl(b[G]) / _ppl(b[0]), _ppl(a[G]) / _ppl(a[0])))
        parts.append(f"seed {seed}: generation {G} {_ppl(b[G]):.2f} with, {_ppl(a[G]):.2f} without")
    ok = _decide(p, alpha)
    r = np.mean(ratios, axis=0)
    numbers = ("test perplexity: " + "; ".join(parts) + f"; last / first generation {r[0]:.2f} with the penalty, "
               f"{r[1]:.2f} without (paper: about 2) ({_fmt_p(p)})")
    why = ""
    if not ok:
        why = ("the penalty's data did not make the following models worse than without it. Ground truth, with the "
               "penalty: " + (_truth_line({s: runs[REP][s] for s in both}, 0, G) or "none") + "; without: "
               + (_truth_line({s: runs[MAIN][s] for s in both}, 0, G) or "none"))
    return Verdict(claim, CLAIMS[claim], ok, numbers, test, p, why)


def check_claims(runs: Runs, alpha: float = ALPHA) -> list[Verdict]:
    """Every claim of :data:`CLAIMS` decided on ``runs`` (:func:`collapse.figures.llm.load_runs`) at ``alpha``."""
    if not 0.0 < alpha < 1.0:
        from collapse.core.validation import InvalidArgument

        raise InvalidArgument("alpha", "a level in (0, 1)", alpha)
    return [f(runs, alpha) for f in (_test_perplexity_rises, _towards_probable, _longer_tail, _kept_data_helps,
                                     _penalty_worse)]


def seeds_note(runs: Runs, alpha: float = ALPHA) -> str:
    """What the run's seeds can decide, one sentence."""
    n = max((len(v) for v in runs.values()), default=0)
    need = math.ceil(math.log(1 / alpha, 2))
    across = ("a sign test across them can also decide whether each effect holds over the randomness of training "
              f"(all {n} in one direction: p = {2.0 ** -n:.2g} <= {alpha:g})" if 2.0 ** -n <= alpha else
              f"a sign test across seeds cannot reach {alpha:g} with {n} (it needs {need}: all in one direction, "
              f"p = 2^-n), so the verdicts are about these runs, not yet about training randomness in general")
    return (f"Each verdict is an intersection-union test over the {n} run(s) of a setting (false-alarm level at most "
            f"{alpha:g}); {across}.")
