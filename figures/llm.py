"""The language-model figures: Fig. 1b/1c, the repetition ablation, the ground-truth comparison, Example 1.

Reads what ``collapse llm run`` saved (``runs/SETTING/seedS/genGG/{metrics.json,
scores.npz}``); never trains or generates. A file that cannot be read back, lacks what a
figure needs or belongs to another run (its config is not the one in ``run.json``) is
named, with what to do (:class:`~collapse.core.runner.DamagedFile`: one line, exit status 2).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from collapse.core.runio import atomic_write_text
from collapse.core.runner import DamagedFile, read_result, stored_config
from collapse.core.validation import InvalidArgument
from collapse.figures.registry import FigureSpec
from collapse.figures.style import PALETTE, THEORY_STYLE, save, setup

MAIN, KEPT, REP = "no-data-kept", "10pct-kept", "repetition-penalty"
LABELS = {MAIN: "no data kept (5 epochs)", KEPT: "10% real data kept (10 epochs)",
          REP: "no data kept, repetition penalty 2.0"}
COLOURS = {MAIN: PALETTE[0], KEPT: PALETTE[1], REP: PALETTE[2]}
COMMAND = "collapse llm run --quick && collapse figures llm"
DECODING_COMMAND = ("collapse llm run --quick --settings no-data-kept --decoding beam5,greedy,sample,temp0.7,topk20,"
                    "topp0.9 --out results/llm-decoding && collapse figures llm --out results/llm-decoding")
#: the prefix of the settings of the decoding axis (collapse.llm.config.decoding_settings)
DECODING = "decoding-"


#: what to do about a damaged result file of the run
ADVICE = "delete it and rerun 'collapse llm run' with the same options to recompute it, or --force to start over"
_GEN = re.compile(r"^gen(\d+)$")
_SEED = re.compile(r"^seed(\d+)$")


def _need(obj, path: Path, *keys: str):
    """``obj[k0][k1]...``, or DamagedFile naming ``path`` and the missing entry."""
    for k in keys:
        if not isinstance(obj, dict) or k not in obj:
            raise DamagedFile(path, f"no {'.'.join(keys)} in it (not written by 'collapse llm run')", ADVICE)
        obj = obj[k]
    return obj


def _number(obj, path: Path, *keys: str) -> float:
    v = _need(obj, path, *keys)
    if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise DamagedFile(path, f"{'.'.join(keys)} is {v!r}, not a number", ADVICE)
    return v


def _arrays(path: Path, *keys: str) -> tuple[dict, dict[str, np.ndarray]]:
    """``(meta, arrays)`` of an NPZ result holding ``keys`` (DamagedFile if missing, unreadable or incomplete)."""
    if not path.exists():
        raise DamagedFile(path, "missing", ADVICE)
    meta, arrays = read_result(path)
    for k in keys:
        if k not in arrays:
            raise DamagedFile(path, f"no array {k!r} in it (not written by 'collapse llm run')", ADVICE)
    return meta, arrays


def _record(f: Path, config, truth: bool) -> dict:
    """One generation's metrics.json and scores, checked to be that generation's, of this run, complete."""
    m = read_result(f)
    if not isinstance(m, dict):
        raise DamagedFile(f, f"a JSON {type(m).__name__}, not a metrics object", ADVICE)
    setting, seed, g = f.parent.parent.parent.name, int(_SEED.match(f.parent.parent.name)[1]), \
        int(_GEN.match(f.parent.name)[1])
    where = (_need(m, f, "setting"), _need(m, f, "seed"), _need(m, f, "generation"))
    if where != (setting, seed, g) or ("config" in m and m["config"] != config):
        why = f"({where[0]}, seed {where[1]}, generation {where[2]})" if where != (setting, seed, g) else \
            "(its config is not the one in run.json)"
        raise DamagedFile(f, f"the metrics of another run {why}", ADVICE)
    _number(m, f, "test", "perplexity")
    if truth:
        for keys in (("truth", "kl"), ("truth", "tail_mass_model"), ("truth", "tail_mass_true"),
                     ("data", "missing_unigram_mass"), ("data", "missing_bigram_mass")):
            _number(m, f, *keys)
    examples = _need(m, f, "examples")
    if not isinstance(examples, list) or not all(isinstance(e, dict) and isinstance(e.get("prompt"), str) and
                                                 isinstance(e.get("continuation"), str) for e in examples):
        raise DamagedFile(f, "examples is not a list of prompts and continuations", ADVICE)
    sf = f.parent / "scores.npz"
    meta, scores = _arrays(sf, "perplexity_gen0")
    if not isinstance(meta, dict) or (meta.get("setting"), meta.get("seed"), meta.get("generation")) != where or \
            meta.get("config", config) != config:
        raise DamagedFile(sf, "the scores of another run (setting, seed, generation or config differ)", ADVICE)
    if scores["perplexity_gen0"].ndim != 1 or len(scores["perplexity_gen0"]) == 0:
        raise DamagedFile(sf, "perplexity_gen0 is not one score per training sequence", ADVICE)
    m["scores"] = scores
    return m


def load_runs(results: Path) -> dict[str, dict[int, list[dict]]]:
    """``{setting: {seed: [generation record, ...]}}``; a record is metrics.json plus the scores arrays.

    Every record is checked (:func:`_record`): a damaged, incomplete or foreign file is a
    :class:`~collapse.core.runner.DamagedFile` naming it.
    """
    results = Path(results)
    files = [f for f in sorted(results.glob("runs/*/seed*/gen*/metrics.json"))
             if _SEED.match(f.parent.parent.name) and _GEN.match(f.parent.name)]
    if not files:
        raise InvalidArgument("results", "a directory written by 'collapse llm run' (runs/*/seed*/gen*)", str(results))
    config = stored_config(results, "llm")
    truth = (results / "data" / "language.npz").exists()
    found: dict[str, dict[int, list[dict]]] = {}
    for f in files:
        m = _record(f, config, truth)
        found.setdefault(m["setting"], {}).setdefault(int(m["seed"]), []).append(m)
    return found


def _per_run(runs: dict[int, list[dict]], get) -> np.ndarray:
    """``get(record)`` for every run and generation, shape (n_seeds, n_generations); NaN past a run's end."""
    n = max(len(r) for r in runs.values())
    out = np.full((len(runs), n), np.nan)
    for i, recs in enumerate(runs.values()):
        out[i, :len(recs)] = [get(r) for r in recs]
    return out


def _split(rec: dict, key: str) -> tuple[np.ndarray, np.ndarray]:
    """``(generated, kept real)`` values of ``key`` among a generation's training sequences (generation 0: all real,
    shown as its own, the reference)."""
    v = rec["scores"][key]
    real = rec["scores"].get("is_real")
    if real is None or int(rec["generation"]) == 0 or len(real) != len(v):
        return v, v[:0]
    real = np.asarray(real, dtype=bool)
    return v[~real], v[real]


def _histograms(ax, runs: dict[int, list[dict]], key: str, xlabel: str, plt) -> None:
    """Step histograms of per-sequence values pooled over seeds, one per generation (log x).

    Generated sequences only: the real blocks a setting keeps (10%) are drawn apart, pooled over the
    generations, dashed grey, so that they are not mistaken for a tail of the generated data.
    """
    n = max(len(r) for r in runs.values())
    per_gen, kept = [], []
    for g in range(n):
        parts = [_split(r[g], key) for r in runs.values() if len(r) > g]
        per_gen.append(np.concatenate([p[0] for p in parts]))
        kept += [p[1] for p in parts]
    kept_all = np.concatenate(kept) if kept else np.zeros(0)
    every = [v for v in per_gen + [kept_all] if len(v)]
    lo, hi = min(v.min() for v in every), max(v.max() for v in every)
    bins = np.geomspace(max(lo, 1e-3), max(hi, lo * 1.01), 40)
    cmap = plt.get_cmap("viridis")
    for g, v in enumerate(per_gen):
        if len(v):
            ax.hist(v, bins=bins, weights=np.full(len(v), 1.0 / len(v)), histtype="step",
                    color=cmap(g / max(1, n - 1)), lw=1.3, label=f"gen {g}" + (" (real)" if g == 0 else ""))
    if len(kept_all):
        ax.hist(kept_all, bins=bins, weights=np.full(len(kept_all), 1.0 / len(kept_all)), histtype="step",
                color="grey", ls="--", lw=1.1, label="kept real blocks, gen >= 1")
    _plain_log_x(ax, subs=(1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0) if bins[-1] / bins[0] < 20 else (1.0, 2.0, 5.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of sequences")
    ax.legend(ncol=2, fontsize=7)


def _plain_log_x(ax, subs: tuple[float, ...] = (1.0, 2.0, 5.0)) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=subs))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _test_panel(ax, runs_by_setting: dict[str, dict[int, list[dict]]], settings: list[str]) -> None:
    """Each run's mean and standard deviation of per-sequence perplexity on the real test split (as the paper's)."""
    k = 0
    n_runs = sum(len(runs_by_setting[s]) for s in settings)
    width = 0.5 / max(1, n_runs)
    markers = "osD^v<>p*h"
    for s in settings:
        for i, (seed, recs) in enumerate(sorted(runs_by_setting[s].items())):
            g = np.array([int(r["generation"]) for r in recs]) + (k - (n_runs - 1) / 2) * width
            mean = np.array([_seq_stat(r, "mean") for r in recs])
            std = np.array([_seq_stat(r, "std") for r in recs])
            ax.errorbar(g, mean, yerr=std, color=COLOURS.get(s, "grey"), marker=markers[i % len(markers)], ms=3,
                        capsize=2, lw=0.9, label=f"{LABELS.get(s, s)}, run {seed}")
            k += 1
    ax.set_xlabel("generation")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("perplexity of each real test sequence:\nmean and std per run")
    ax.legend(fontsize=6.5)


def _seq_stat(rec: dict, which: str) -> float:
    """Mean / std of per-sequence test perplexity; a run without them (older): its corpus perplexity and 0."""
    t = rec["test"]
    v = t.get(f"{which}_sequence_perplexity")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    return float(t["perplexity"]) if which == "mean" else 0.0


def draw_fig1(results: Path, out_dir: Path) -> list[Path]:
    """Fig. 1b (no data kept) and 1c (10% kept): per-sequence perplexity histograms and test perplexity."""
    plt = setup()
    runs = load_runs(results)
    settings = [s for s in (MAIN, KEPT) if s in runs] or sorted(runs)[:2]
    fig, axes = plt.subplots(len(settings), 2, figsize=(10, 3.6 * len(settings)), squeeze=False)
    for (left, right), s in zip(axes, settings):
        _histograms(left, runs[s], "perplexity_gen0", "perplexity of each training sequence under generation 0",
                    plt)
        left.set_title(f"{LABELS.get(s, s)}: each generation's training data", fontsize=9)
        _test_panel(right, runs, [s])
        right.set_title(f"{LABELS.get(s, s)}: each generation's model", fontsize=9)
    fig.suptitle(f"Model collapse in language models (Fig. 1b, 1c): {_what(results)}")
    fig.tight_layout()
    paths = save(fig, out_dir, "llm_fig1")
    plt.close(fig)
    return paths


def draw_repetition(results: Path, out_dir: Path) -> list[Path]:
    """The repetition ablation: penalty 2.0 against none (setting 1)."""
    plt = setup()
    runs = load_runs(results)
    if REP not in runs:
        return []
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    _histograms(left, runs[REP], "perplexity_gen0", "perplexity of each training sequence under generation 0", plt)
    left.set_title(LABELS[REP])
    _test_panel(right, runs, [s for s in (MAIN, REP) if s in runs])
    right.set_title("test perplexity per generation")
    fig.suptitle(f"Ablation: repetitions ({_what(results)})")
    fig.tight_layout()
    paths = save(fig, out_dir, "llm_repetition")
    plt.close(fig)
    return paths


def _mean_std(runs, get) -> tuple[np.ndarray, np.ndarray]:
    v = _per_run(runs, get)
    return np.nanmean(v, axis=0), np.nanstd(v, axis=0)


def _truth_panels(ax_kl, ax_tail, runs) -> None:
    """Exact KL to the truth and the model's tail mass over the true one, per generation."""
    for s, seeds in runs.items():
        for a, get in ((ax_kl, lambda r: r["truth"]["kl"]),
                       (ax_tail, lambda r: r["truth"]["tail_mass_model"] / r["truth"]["tail_mass_true"])):
            mean, std = _mean_std(seeds, get)
            a.errorbar(np.arange(len(mean)), mean, yerr=std, color=COLOURS.get(s, "grey"), marker="o", ms=3,
                       capsize=2, label=LABELS.get(s, s))
    ax_kl.set(xlabel="generation", ylabel="KL(truth || model), nats per token", title="exact KL on real test text")
    ax_tail.axhline(1.0, **THEORY_STYLE)
    ax_tail.set(xlabel="generation", ylabel="model / true next-token mass on the tail",
                title="tail: rarest tokens holding 10% of the mass")


def _lost_mass_panel(ax, results: Path, runs, q, N: int) -> None:
    """True mass absent from each generation's data, against the discrete chain and the true model's beam."""
    from collapse.analytic.rates import chain_loss_probability

    for s, seeds in runs.items():
        c = COLOURS.get(s, "grey")
        mean, _ = _mean_std(seeds, lambda r: r["data"]["missing_unigram_mass"])
        ax.plot(np.arange(len(mean)), mean, color=c, marker="o", ms=3, label=f"{LABELS.get(s, s)}: tokens")
        mean, _ = _mean_std(seeds, lambda r: r["data"]["missing_bigram_mass"])
        ax.plot(np.arange(len(mean)), mean, color=c, marker="s", ms=3, ls=":", label="   bigrams")
    g = np.arange(max(len(r) for seeds in runs.values() for r in seeds.values()))
    ax.plot(g, [float((q * chain_loss_probability(q * N, k)).sum()) for k in g], **THEORY_STYLE,
            label="discrete chain (resampling): tokens")
    perfect = results / "data" / "truth_beam.npz"
    if perfect.exists():
        meta = _arrays(perfect, "blocks")[0]
        cov = {k: _number(meta, perfect, "coverage", k) for k in ("missing_unigram_mass", "missing_bigram_mass")}
        ax.axhline(cov["missing_unigram_mass"], color="grey", lw=1, ls="-.",
                   label="true model + the same beam search: tokens")
        ax.axhline(cov["missing_bigram_mass"], color="grey", lw=1, ls=":", label="   bigrams")
    ax.set(xlabel="generation", ylabel="true probability mass absent from the data",
           title="what each generation's training data has lost")


def draw_groundtruth(results: Path, out_dir: Path) -> list[Path]:
    """Exact scores under the synthetic truth, and token loss against the discrete chain's prediction."""
    results = Path(results)
    lang_file = results / "data" / "language.npz"
    if not lang_file.exists():
        return []  # a real-data run has no ground truth
    q = _arrays(lang_file, "unigram")[1]["unigram"]  # the true language's stationary token distribution
    if q.ndim != 1 or not len(q) or not np.all(np.isfinite(q)) or (q < 0).any():
        raise DamagedFile(lang_file, "unigram is not a probability vector", ADVICE)
    every = load_runs(results)
    runs = {s: v for s, v in every.items() if not s.startswith(DECODING)} or every  # the decodings: llm-decoding
    first = next(iter(runs.get(MAIN, next(iter(runs.values()))).values()))
    N = first[0]["scores"]["perplexity_gen0"].shape[0] * _block_tokens(results)  # real training tokens
    plt = setup()
    fig, ax = plt.subplots(2, 2, figsize=(10.5, 8.6))
    _truth_panels(ax[0, 0], ax[0, 1], runs)
    _lost_mass_panel(ax[1, 0], results, runs, q, N)
    _loss_panel(ax[1, 1], results, runs, q, N)
    for a in (ax[0, 0], ax[0, 1], ax[1, 0]):
        a.xaxis.get_major_locator().set_params(integer=True)
    for a in ax[0]:
        a.legend(fontsize=7)
    for a in ax[1]:
        a.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.suptitle("Against the ground truth (synthetic stand-in for OPT-125m / WikiText-2)")
    fig.tight_layout()
    paths = save(fig, out_dir, "llm_groundtruth")
    plt.close(fig)
    return paths


def loss_by_frequency(q: npt.NDArray[np.float64], blocks: npt.NDArray[np.int64],
                      edges: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Fraction of the tokens in each expected-count bin that are absent from ``blocks``.

    Parameters
    ----------
    q : true probabilities, shape (V,)
    blocks : the data, any shape; ``N = blocks.size``
    edges : bin edges on the expected count ``q N``, shape (k+1,)

    Returns
    -------
    absent : ndarray of shape (k,), NaN for empty bins
    n : tokens per bin, shape (k,)
    """
    qN = q * np.asarray(blocks).size
    flat = np.asarray(blocks).ravel()
    present = np.bincount(flat[(flat >= 0) & (flat < len(q))], minlength=len(q))[:len(q)] > 0
    idx = np.digitize(qN, edges) - 1
    absent = np.full(len(edges) - 1, np.nan)
    n = np.zeros(len(edges) - 1, dtype=np.int64)
    for k in range(len(edges) - 1):
        sel = (idx == k) & (q > 0)
        n[k] = sel.sum()
        if n[k]:
            absent[k] = 1.0 - present[sel].mean()
    return absent, n


def _block_tokens(results: Path) -> int:
    train = _arrays(Path(results) / "data" / "blocks.npz", "train")[1]["train"]
    if train.ndim != 2:
        raise DamagedFile(Path(results) / "data" / "blocks.npz", "train is not an array of blocks", ADVICE)
    return int(train.shape[1])


def _loss_files(results: Path, runs) -> tuple[str, int, list[tuple[int, Path]]]:
    """The setting, seed and ``(generation, train.npz)`` of the first, second and last generations shown."""
    s = MAIN if MAIN in runs else next(iter(runs))
    seed, recs = next(iter(runs[s].items()))
    gens = sorted({int(recs[i]["generation"]) for i in (0, min(1, len(recs) - 1), len(recs) - 1)})
    d = Path(results) / "runs" / s / f"seed{seed}"
    return s, seed, [(g, d / f"gen{g:02d}" / "train.npz") for g in gens]


def _loss_panel(ax, results, runs, q, N) -> None:
    """Fraction of tokens absent, by expected count qN in the real data: measured vs the chain."""
    from collapse.analytic.rates import chain_loss_probability

    s, seed, files = _loss_files(results, runs)
    edges = np.geomspace(max(q[q > 0].min() * N, 1e-2) * 0.999, q.max() * N * 1.001, 14)
    mid = np.sqrt(edges[1:] * edges[:-1])
    fine = np.geomspace(edges[0], edges[-1], 200)
    for colour, (g, f) in zip(PALETTE, files):
        blocks = _arrays(f, "blocks")[1]["blocks"]
        absent, count = loss_by_frequency(q, blocks, edges)
        ax.plot(mid[count > 0], absent[count > 0], "o", color=colour, ms=4, label=f"gen {g} data (measured)")
        ax.plot(fine, chain_loss_probability(fine, g), color=colour, lw=1.2, ls="--",
                label=f"gen {g}: discrete chain")
    perfect = Path(results) / "data" / "truth_beam.npz"
    if perfect.exists():
        absent, count = loss_by_frequency(q, _arrays(perfect, "blocks")[1]["blocks"], edges)
        ax.plot(mid[count > 0], absent[count > 0], "x", color="grey", ms=5,
                label="gen 1 data of the true model + beam search")
    _plain_log_x(ax, subs=(1.0,))
    ax.set(xlabel="expected count qN in the real training data", ylabel="fraction of tokens absent",
           title=f"loss of rare tokens ({LABELS.get(s, s)}, seed {seed})")


def _decodings(runs) -> list[tuple[str, str]]:
    """``(setting, decoding name)`` of the decoding axis: the protocol's beam search (setting 1), then the others."""
    out = []
    if MAIN in runs:
        rec = next(iter(runs[MAIN].values()))[0]
        out.append((MAIN, str(rec.get("decoding") or "beam5")))
    out += [(s, s[len(DECODING):]) for s in sorted(runs) if s.startswith(DECODING)]
    return out


def _num_or_nan(rec: dict, *keys: str) -> float:
    v = rec
    for k in keys:
        if not isinstance(v, dict) or v.get(k) is None:
            return float("nan")
        v = v[k]
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")


CHAIN = "discrete chain's prediction"
#: the decoding table's columns: (title, value of a generation's record)
DECODING_COLUMNS = (
    ("test perplexity", lambda r: _num_or_nan(r, "test", "perplexity")),
    ("KL(truth || model)", lambda r: _num_or_nan(r, "truth", "kl")),
    ("model / true tail mass", lambda r: _num_or_nan(r, "truth", "tail_mass_model") /
     _num_or_nan(r, "truth", "tail_mass_true")),
    ("tail tokens in the data", lambda r: _num_or_nan(r, "data", "tail_present")),
    (CHAIN, lambda r: _num_or_nan(r, "data", "tail_present_chain")),
    ("true mass absent from the data", lambda r: _num_or_nan(r, "data", "missing_unigram_mass")),
    ("distinct tokens per block", lambda r: _num_or_nan(r, "data", "distinct_tokens")),
    ("blocks in a loop (period <= 4)", lambda r: _num_or_nan(r, "data", "loop_fraction")),
)


def decoding_table(runs) -> list[dict]:
    """One row per decoding and generation: the :data:`DECODING_COLUMNS`, mean over the runs."""
    rows = []
    for s, name in _decodings(runs):
        seeds = runs[s]
        for g in range(max(len(r) for r in seeds.values())):
            row = {"decoding": name, "setting": s, "generation": g,
                   "runs": sum(len(r) > g for r in seeds.values())}
            for title, get in DECODING_COLUMNS:
                vals = [get(r[g]) for r in seeds.values() if len(r) > g]
                row[title] = float(np.nanmean(vals)) if vals and not np.all(np.isnan(vals)) else float("nan")
            rows.append(row)
    return rows


def draw_decoding(results: Path, out_dir: Path) -> list[Path]:
    """The decoding axis: what every generation loses under each decoding, against the truth and the chain."""
    results = Path(results)
    runs = load_runs(results)
    dec = _decodings(runs)
    if len(dec) < 2 or not (results / "data" / "language.npz").exists():
        return []  # no decoding axis in this run (or no ground truth)
    rows = decoding_table(runs)
    plt = setup()
    fig, ax = plt.subplots(2, 2, figsize=(10.5, 8.2))
    panels = [(ax[0, 0], "KL(truth || model)", "KL(truth || model), nats per token", "exact KL on real test text"),
              (ax[0, 1], "model / true tail mass", "model / true next-token mass on the tail",
               "tail: rarest tokens holding 10% of the mass"),
              (ax[1, 0], "tail tokens in the data", "share of the tail's tokens present in the data",
               "rare tokens' survival (dashed: the discrete chain)"),
              (ax[1, 1], "test perplexity", "perplexity on the real test split", "each generation's model")]
    for i, (s, name) in enumerate(dec):
        colour = PALETTE[i % len(PALETTE)]
        mine = [r for r in rows if r["setting"] == s]
        g = np.array([r["generation"] for r in mine])
        for a, key, _, _ in panels:
            a.plot(g, [r[key] for r in mine], color=colour, marker="o", ms=3, label=name)
    chain = [r[CHAIN] for r in rows if r["setting"] == dec[0][0]]
    ax[1, 0].plot(np.arange(len(chain)), chain, **THEORY_STYLE, label="discrete chain (resampling)")
    ax[0, 1].axhline(1.0, **THEORY_STYLE)
    for a, _, ylabel, title in panels:
        a.set(xlabel="generation", ylabel=ylabel, title=title)
        a.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = ax[1, 0].get_legend_handles_labels()  # one legend for all panels, below them
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.suptitle(f"Which decoding drives collapse: setting 1 (no data kept) written by each decoding\n"
                 f"({_what(results)})")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    paths = save(fig, out_dir, "llm_decoding")
    plt.close(fig)
    return paths + _write_decoding_table(rows, Path(out_dir))


def _write_decoding_table(rows: list[dict], out_dir: Path) -> list[Path]:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    paths = [atomic_write_text(out_dir / "llm_decoding.csv", buf.getvalue())]
    cols = [t for t, _ in DECODING_COLUMNS]
    md = ["# The decoding axis: what each generation loses, by decoding (mean over runs)", "",
          "| decoding | generation | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for r in rows:
        md.append(f"| {r['decoding']} | {r['generation']} | " + " | ".join(
            "" if np.isnan(r[c]) else f"{r[c]:.3g}" for c in cols) + " |")
    paths.append(atomic_write_text(out_dir / "llm_decoding.md", "\n".join(md) + "\n"))
    return paths


def _summary(results: Path) -> dict:
    """``llm_summary.json`` of the run (written by ``collapse llm run`` after every chain, with the claims'
    verdicts and the diversity numbers it computed); a damaged or foreign file is a DamagedFile naming it."""
    import json

    path = Path(results) / "llm_summary.json"
    if not path.exists():
        raise InvalidArgument("results", "a directory written by 'collapse llm run' (with llm_summary.json)",
                              str(results))
    try:
        s = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedFile(path, f"not JSON ({exc})") from None
    if not isinstance(s, dict) or not isinstance(s.get("claims", []), list) \
            or not isinstance(s.get("diversity", {}), dict):
        raise DamagedFile(path, "not the summary of a 'collapse llm run'")
    return s


_VERDICT_KEYS = ("claim", "statement", "status", "numbers", "test", "why")


def claims(results: Path) -> tuple[list[dict], str]:
    """The verdicts of the Fig. 1 claims on this run's data, as decided by the run
    (:mod:`collapse.llm.claims`, stored in ``llm_summary.json``), and what its seeds can decide."""
    s = _summary(results)
    verdicts = s.get("claims", [])
    if any(not isinstance(v, dict) or any(not isinstance(v.get(k, ""), str) for k in _VERDICT_KEYS)
           for v in verdicts):
        raise DamagedFile(Path(results) / "llm_summary.json", "a claim's verdict is not a record of text fields")
    note = s.get("claims_note", "")
    if "claims_error" in s:
        note = f"the claims could not be decided: {s['claims_error']}"
    return verdicts, str(note)


def verdict_table(verdicts: list[dict]) -> str:
    """The verdicts as a Markdown table (claim, verdict, numbers, test, why)."""
    def cell(x) -> str:
        return str(x).replace("|", "/").replace("\n", " ")

    lines = ["| claim | verdict | this run's numbers | test | why not (ground truth) |", "|---|---|---|---|---|"]
    lines += [f"| {cell(v.get('claim', ''))}: {cell(v.get('statement', ''))} | **{cell(v.get('status', ''))}** | "
              f"{cell(v.get('numbers', ''))} | {cell(v.get('test', ''))} | {cell(v.get('why', ''))} |"
              for v in verdicts]
    return "\n".join(lines)


def write_claims(results: Path, out_dir: Path) -> list[Path]:
    """The claims of Fig. 1 and of the repetition ablation, each reproduced or not, with numbers (Markdown, JSON)."""
    import json

    verdicts, note = claims(results)
    div = _diversity(results)
    md = ["# The claims of Fig. 1, checked on this run's data", "", verdict_table(verdicts), "", note, ""]
    if div:
        md += ["# What generation 0 writes", "",
               "| text | distinct tokens per block | blocks in a loop of period <= 4 |", "|---|---|---|"]
        md += [f"| {name} | {d['distinct_tokens']:.1f} | {d['loop_fraction']:.1%} |" for name, d in div]
        md.append("")
    out_dir = Path(out_dir)
    return [atomic_write_text(out_dir / "llm_claims.md", "\n".join(md)),
            atomic_write_text(out_dir / "llm_claims.json", json.dumps(
                {"claims": verdicts, "note": note,
                 "diversity": {name: d for name, d in div}}, indent=2, default=float) + "\n")]


def _diversity(results: Path) -> list[tuple[str, dict]]:
    """``(text, diversity)``: real blocks, beam search on the true model, each setting's generation-0 data
    (computed by the run: ``llm_summary.json``'s ``diversity``)."""
    div = _summary(results).get("diversity", {})
    out = []

    def ok(d) -> bool:
        return isinstance(d, dict) and all(isinstance(d.get(k), (int, float)) for k in ("distinct_tokens",
                                                                                       "loop_fraction"))
    if ok(div.get("real")):
        out.append(("real training blocks", div["real"]))
    if ok(div.get("truth_beam")):
        out.append(("beam search on the true model (generation 0 of a perfect model)", div["truth_beam"]))
    for s, d in (div.get("generation0") or {}).items():
        if ok(d):
            name = d.get("decoding") or "beam"
            out.append((f"generation 0's {name} continuations, {s} ({d.get('runs', '?')} runs)", d))
    return out


def write_example1(results: Path, out_dir: Path) -> list[Path]:
    """Example 1: continuations of fixed test prompts by each generation's model (Markdown and CSV)."""
    runs = load_runs(results)
    rows = []
    for s in [x for x in (MAIN, KEPT, REP) if x in runs] or sorted(runs):
        seed, recs = next(iter(sorted(runs[s].items())))
        for r in recs:
            for i, ex in enumerate(r["examples"][:1]):
                rows.append({"setting": s, "seed": seed, "generation": r["generation"], "prompt_index": i,
                             "prompt": ex["prompt"], "continuation": ex["continuation"]})
    if not rows:  # a run with no Example-1 prompts (n_examples=0)
        return []
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    out_dir = Path(out_dir)
    paths = [atomic_write_text(out_dir / "llm_example1.csv", buf.getvalue())]
    md = ["# Example 1: continuations of one fixed test prompt, by generation", "",
          f"Prompt: `{rows[0]['prompt']}`", ""]
    for s in dict.fromkeys(r["setting"] for r in rows):
        md += [f"## {LABELS.get(s, s)} (seed {next(r['seed'] for r in rows if r['setting'] == s)})", "",
               "| generation | continuation |", "| --- | --- |"]
        md += [f"| {r['generation']} | {r['continuation'].replace('|', '/')} |" for r in rows if r["setting"] == s]
        md.append("")
    paths.append(atomic_write_text(out_dir / "llm_example1.md", "\n".join(md)))
    return paths


def _what(results: Path) -> str:
    """What the run trained, for figure titles: a stand-in must say so."""
    cfg = stored_config(results, "llm")
    if cfg["model"] == "synthetic":
        return "synthetic stand-in for OPT-125m / WikiText-2"
    return f"{cfg['model']} on {cfg['data']}"


def _scale(results: Path) -> tuple[str, str]:
    """("same" | "reduced", a phrase naming the model and data of the run)."""
    cfg = stored_config(results, "llm")
    same = cfg["model"] == "facebook/opt-125m" and cfg["data"] == "wikitext" and cfg["generations"] >= 10
    what = ("OPT-125m on WikiText-2" if cfg["model"] != "synthetic"
            else "a tiny OPT on the synthetic ground-truth language")
    return ("same" if same else "reduced"), f"{what}, {len(cfg['seeds'])} runs, {cfg['generations']} generations"


def _ppl_change(runs: dict[int, list[dict]]) -> tuple[float, float, int]:
    p = np.nanmean(_per_run(runs, lambda r: r["test"]["perplexity"]), axis=0)
    return float(p[0]), float(p[-1]), len(p) - 1


def describe_fig1(results: Path):
    from collapse.figures.registry import Description, Number

    scale, what = _scale(results)
    runs = load_runs(results)
    numbers, parts = [], []
    for s in (MAIN, KEPT):
        if s in runs:
            a, b, g = _ppl_change(runs[s])
            parts.append(f"{LABELS[s]}: test perplexity {a:.1f} -> {b:.1f} by generation {g}")
            numbers.append(Number(f"test perplexity, generation 0 -> {g} ({LABELS[s]})",
                                  "about 34, then 20 to 28 points worse" if s == MAIN else "about 34, minor degradation",
                                  f"{a:.1f} -> {b:.1f}", scale, note=what))
    div = _diversity(results)
    if div:
        parts.append("distinct tokens per 64-token block / blocks in a loop of period <= 4: " + "; ".join(
            f"{name} {d['distinct_tokens']:.1f} / {d['loop_fraction']:.0%}" for name, d in div))
    verdicts, _ = claims(results)
    parts.append("claims: " + "; ".join(f"{v['claim']} {v['status']}" for v in verdicts) + " (table: llm-claims)")
    return Description(
        paper=("OPT-125m fine-tuned on WikiText-2 (perplexity about 34) and then on its own beam-search output: later "
               "generations' data is more probable under the generation-0 model, with a long tail of improbable "
               "sequences, and test perplexity rises; keeping 10% real data slows this."),
        run=f"{what}. " + "; ".join(parts) + ".", numbers=tuple(numbers))


def describe_claims(results: Path):
    from collapse.figures.registry import Description, Number

    scale, what = _scale(results)
    verdicts, note = claims(results)
    return Description(
        paper="Fig. 1b, 1c and the repetition ablation make five claims; each is decided here on the run's own data.",
        run=f"{what}: " + "; ".join(f"{v['claim']}: {v['status']}" for v in verdicts) + ". " + note,
        numbers=tuple(Number(f"claim {v['claim']}", "holds (the paper)", f"{v['status']}: {v['numbers']}", scale,
                             note=v.get("why", "")) for v in verdicts))


def describe_decoding(results: Path):
    from collapse.figures.registry import Description

    _, what = _scale(results)
    runs = load_runs(results)
    rows = decoding_table(runs)
    if not rows:
        return Description(paper="Not in the paper.", run=f"{what}: this run has no decoding axis.")
    last = {}
    for r in rows:
        last[r["decoding"]] = r
    parts = [f"{d}: KL {r['KL(truth || model)']:.3f}, tail mass x{r['model / true tail mass']:.2f}, tail tokens "
             f"present {r['tail tokens in the data']:.0%} (chain: {r[CHAIN]:.0%})" for d, r in last.items()]
    g = max(r["generation"] for r in rows)
    return Description(
        paper=("Not in the paper, which uses 5-way beam search throughout; the field asks which decoding drives "
               "collapse."),
        run=f"{what}, generation {g}: " + "; ".join(parts) + ".")


def describe_repetition(results: Path):
    from collapse.figures.registry import Description, Number

    scale, what = _scale(results)
    runs = load_runs(results)
    paper = ("With a repetition penalty of 2.0 the models write less repetitive but lower-scoring continuations, "
             "and the following generations do even worse: perplexity about doubles.")
    if REP not in runs:
        return Description(paper=paper, run=f"{what}: this run has no '{REP}' setting.")
    a, b, g = _ppl_change(runs[REP])
    a0, b0, _ = _ppl_change(runs[MAIN]) if MAIN in runs else (np.nan, np.nan, g)
    return Description(
        paper=paper,
        run=(f"{what}. Test perplexity {a:.1f} -> {b:.1f} by generation {g} with the penalty, "
             f"{a0:.1f} -> {b0:.1f} without."),
        numbers=(Number("test perplexity ratio, last / first generation, penalty 2.0", "about 2",
                        f"{b / a:.2f} (without: {b0 / a0:.2f})", scale, note=what),))


def describe_groundtruth(results: Path):
    from collapse.figures.registry import Description

    _, what = _scale(results)
    runs = load_runs(results)
    s = MAIN if MAIN in runs else next(iter(runs))
    kl = np.nanmean(_per_run(runs[s], lambda r: r["truth"]["kl"]), axis=0)
    tail = np.nanmean(_per_run(runs[s], lambda r: r["truth"]["tail_mass_model"] / r["truth"]["tail_mass_true"]), 0)
    miss = np.nanmean(_per_run(runs[s], lambda r: r["data"]["missing_unigram_mass"]), axis=0)
    return Description(
        paper=("Not measured in the paper (the truth of WikiText-2 is unknown); its theory predicts that tails "
               "vanish first."),
        run=(f"{what}, {LABELS.get(s, s)}: exact KL(truth || model) {kl[0]:.2f} -> {kl[-1]:.2f} nats/token, "
             f"model/true mass on the 10% tail {tail[0]:.2f} -> {tail[-1]:.2f}, true probability mass absent from "
             f"the training data {miss[0]:.3f} -> {miss[-1]:.2f} (resampling alone would lose far less; beam search "
             f"on the true distribution already loses most of it)."))


def check_results(results: Path) -> None:
    """Read every file the figures need, so that a damaged one is named before any figure is written."""
    results = Path(results)
    runs = load_runs(results)
    _what(results)
    lang = results / "data" / "language.npz"
    if lang.exists():
        _arrays(lang, "unigram")
        _block_tokens(results)
        for _, f in _loss_files(results, runs)[2]:
            _arrays(f, "blocks")
        perfect = results / "data" / "truth_beam.npz"
        if perfect.exists():
            meta = _arrays(perfect, "blocks")[0]
            for k in ("missing_unigram_mass", "missing_bigram_mass"):
                _number(meta, perfect, "coverage", k)


def draw_all(results: Path, out_dir: Path) -> list[Path]:
    """Every language-model figure of the run in ``results``, into ``out_dir`` (checked first: nothing half-drawn)."""
    check_results(results)
    paths: list[Path] = []
    for spec in FIGURES:
        paths += spec.draw(Path(results), Path(out_dir))
    return paths


FIGURES = [
    FigureSpec("llm-fig1", "per-sequence perplexity under generation 0, and test perplexity, per generation",
               "Fig. 1b, 1c", COMMAND, draw_fig1, results="llm_summary.json", describe=describe_fig1),
    FigureSpec("llm-repetition", "the same with a repetition penalty of 2.0", "section 'Ablation: Repetitions'",
               COMMAND, draw_repetition, results="llm_summary.json", describe=describe_repetition),
    FigureSpec("llm-groundtruth", "exact KL, tail mass and rare-token loss against the discrete chain "
               "(synthetic language only)", "beyond the paper; cf. 'Discrete distributions with exact approximation'",
               COMMAND, draw_groundtruth, results="llm_summary.json", describe=describe_groundtruth),
    FigureSpec("llm-decoding", "the decoding axis: KL, tail mass and rare tokens' survival by decoding (and table)",
               "beyond the paper (it decodes by 5-way beam search)", DECODING_COMMAND, draw_decoding,
               results="llm_summary.json", describe=describe_decoding),
    FigureSpec("llm-claims", "each claim of Fig. 1 and of the repetition ablation, reproduced or not (table)",
               "Fig. 1b, 1c; section 'Ablation: Repetitions'", COMMAND, write_claims, results="llm_summary.json",
               describe=describe_claims),
    FigureSpec("llm-example1", "continuations of a fixed prompt by each generation (table)", "Example 1", COMMAND,
               write_example1),
]
