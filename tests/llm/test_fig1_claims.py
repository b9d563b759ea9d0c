"""The Fig. 1 claims decided on run data (collapse.llm.claims): each verdict on records with a known effect,
the intersection-union decision over seeds, its false-alarm level under no effect, and the figures' view."""

from __future__ import annotations

import numpy as np
import pytest

from collapse.figures.llm import verdict_table
from collapse.llm.claims import ALPHA, CLAIMS, check_claims, seeds_note

MAIN, KEPT, REP = "no-data-kept", "10pct-kept", "repetition-penalty"


def _record(g: int, test_nll: np.ndarray, ppl0: np.ndarray, is_real: np.ndarray | None = None) -> dict:
    n = len(ppl0)
    return {"generation": g, "test": {"perplexity": float(np.exp(test_nll.mean()))},
            "scores": {"test_nll": test_nll, "perplexity_gen0": ppl0,
                       "is_real": np.zeros(n, bool) if is_real is None else is_real}}


def _chain(rng, G=4, rise=0.3, shift=-0.3, tail=0.0, n_test=128, n_train=256, keep=0.0, noise=0.05):
    """One run: test NLL rising by ``rise`` per generation (paired noise), training data whose log perplexity
    shifts by ``shift`` from generation 1 on and whose top ``tail`` share moves far right in later generations."""
    base = rng.normal(2.0, 0.3, n_test)
    recs = []
    for g in range(G + 1):
        nll = base + rise * g + rng.normal(0, noise, n_test)
        logp = rng.normal(1.2, 0.2, n_train) + (shift if g else 0.0)
        if g >= 2 and tail:
            k = int(tail * (g - 1) * n_train)
            logp[:k] += 1.5
        real = np.zeros(n_train, bool)
        if g and keep:
            real[: int(keep * n_train)] = True
        recs.append(_record(g, nll, np.exp(logp), real))
    return recs


def _runs(rng, seeds=(0, 1), **kw) -> dict:
    return {MAIN: {s: _chain(rng, **kw) for s in seeds}}


def _verdicts(runs):
    return {v.claim: v for v in check_claims(runs)}


def test_every_claim_is_reported():
    v = check_claims(_runs(np.random.default_rng(0)))
    assert [x.claim for x in v] == list(CLAIMS)
    assert all(x.status in ("reproduced", "not reproduced", "cannot be decided") for x in v)


def test_clear_effects_are_reproduced_and_their_absence_is_not():
    rng = np.random.default_rng(1)
    yes = _verdicts(_runs(rng, rise=0.2, shift=-0.4, tail=0.08))
    assert yes["test-perplexity-rises"].reproduced and yes["towards-probable"].reproduced
    assert yes["longer-tail"].reproduced
    no = _verdicts(_runs(rng, rise=-0.2, shift=0.4, tail=0.0))
    for claim in ("test-perplexity-rises", "towards-probable", "longer-tail"):
        assert no[claim].reproduced is False and no[claim].why  # said why, with numbers
    assert "p =" in no["test-perplexity-rises"].numbers


def test_one_seed_against_decides_against():
    """Intersection-union: every run must reject; one run without the effect makes it not reproduced."""
    rng = np.random.default_rng(2)
    runs = {MAIN: {0: _chain(rng, rise=0.3), 1: _chain(rng, rise=0.0, noise=0.3)}}
    v = _verdicts(runs)["test-perplexity-rises"]
    assert v.reproduced is False and set(v.p_values) == {"seed 0", "seed 1"}
    assert v.p_values["seed 0"] < ALPHA < v.p_values["seed 1"]


def test_kept_data_and_penalty_compare_settings_paired_by_seed():
    rng = np.random.default_rng(3)
    runs = {MAIN: {s: _chain(rng, rise=0.3) for s in (0, 1)}, KEPT: {s: _chain(rng, rise=0.05, keep=0.1)
                                                                     for s in (0, 1)},
            REP: {s: _chain(rng, rise=0.6) for s in (0, 1)}}
    v = _verdicts(runs)
    assert v["kept-data-helps"].reproduced and v["penalty-worse"].reproduced
    runs[KEPT] = {s: _chain(rng, rise=0.5, keep=0.1) for s in (0, 1)}
    runs[REP] = {s: _chain(rng, rise=0.1) for s in (0, 1)}
    v = _verdicts(runs)
    assert v["kept-data-helps"].reproduced is False and v["penalty-worse"].reproduced is False


def test_a_missing_setting_or_generation_cannot_be_decided():
    rng = np.random.default_rng(4)
    v = _verdicts(_runs(rng, G=1))
    assert v["longer-tail"].reproduced is None and "3 generations" in v["longer-tail"].numbers
    assert v["kept-data-helps"].reproduced is None and v["penalty-worse"].reproduced is None


def test_kept_real_blocks_are_not_counted_as_generated_data():
    """Claim 2 and 3 look at the generated sequences only: kept real ones (10%) are left out."""
    from collapse.llm.claims import _generated

    rec = _record(2, np.zeros(4), np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, False, True]))
    np.testing.assert_array_equal(_generated(rec), [2.0, 3.0])
    rec0 = _record(0, np.zeros(4), np.array([1.0, 2.0, 3.0, 4.0]), np.array([True] * 4))
    np.testing.assert_array_equal(_generated(rec0), [1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("n_seeds", [1, 2])
def test_false_alarm_level_under_no_effect(n_seeds):
    """No rise at all: 'test perplexity rises' is called reproduced at most at the stated level (plus 3 SE)."""
    rng = np.random.default_rng(5)
    trials = 300
    hits = sum(bool(_verdicts(_runs(rng, seeds=tuple(range(n_seeds)), G=1, rise=0.0, noise=0.1))
                    ["test-perplexity-rises"].reproduced) for _ in range(trials))
    assert hits / trials <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / trials)


def test_what_the_seeds_can_decide_is_said():
    rng = np.random.default_rng(6)
    assert "cannot reach 0.05 with 2" in seeds_note(_runs(rng, seeds=(0, 1)))
    assert "can also decide" in seeds_note(_runs(rng, seeds=tuple(range(5)), G=1))


def test_verdict_table_is_markdown():
    table = verdict_table([v.as_dict() for v in check_claims(_runs(np.random.default_rng(7)))])
    lines = table.splitlines()
    assert lines[0].startswith("| claim | verdict") and len(lines) == 2 + len(CLAIMS)
    assert all(line.count("|") == lines[0].count("|") for line in lines)


def test_claims_of_a_tiny_run_in_its_summary_and_figures(tiny_run, tmp_path, capsys):
    """The run's summary holds the verdicts and the diversity numbers; 'figures llm' prints and writes them."""
    import json

    from collapse.cli import main
    from collapse.core.runner import read_result

    _, out = tiny_run
    s = read_result(out / "llm_summary.json")
    assert [c["claim"] for c in s["claims"]] == list(CLAIMS) and "intersection-union" in s["claims_note"]
    assert {"real", "truth_beam", "generation0"} <= set(s["diversity"])
    assert 0 < s["diversity"]["real"]["distinct_tokens"] <= 16
    assert main(["figures", "llm", "--out", str(out), "--figures-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "test-perplexity-rises:" in printed and "intersection-union" in printed
    md = (tmp_path / "llm_claims.md").read_text()
    assert "| claim | verdict" in md and "What generation 0 writes" in md
    for setting, d in s["diversity"]["generation0"].items():  # each setting labelled by its decoding
        assert d["decoding"] and f"generation 0's {d['decoding']} continuations, {setting}" in md
    assert json.loads((tmp_path / "llm_claims.json").read_text())["claims"][0]["claim"] == "test-perplexity-rises"
