"""Every simulation check states its power, and it is enough.

All claims run once (module-scoped); every simulation check must state ``mde`` (the
smallest relative error it detects with probability 0.99 at the per-check level
``Context.alpha``), at most 1% for moment-type quantities; the false-alarm level the
power refers to is at most the family-wise 1e-6 (each Holm threshold <= 1e-6).
"""

from __future__ import annotations

import pytest

from collapse.proofs.core import FAMILY_ALPHA, Context


@pytest.fixture(scope="module")
def results():
    from collapse.proofs.registry import verify

    return verify(None, progress=False)


def _sims(results):
    return [(r.id, s) for r in results for s in r.steps if s.kind == "simulation"]


def test_every_simulation_check_states_its_power(results):
    missing = [f"{cid}/{s.name}: {s.status} {s.detail[:120]}" for cid, s in _sims(results) if s.mde is None]
    assert not missing, f"{len(missing)} simulation checks without mde:\n  " + "\n  ".join(missing)


def test_every_stated_power_is_finite(results):
    """mde = inf says the check detects no error at all: it is not evidence."""
    inf = [f"{cid}/{s.name}" for cid, s in _sims(results) if s.mde is not None and not s.mde < float("inf")]
    assert not inf, f"{len(inf)} simulation checks detect no finite error:\n  " + "\n  ".join(inf)


def test_moment_checks_detect_a_one_percent_error(results):
    weak = [f"{cid}/{s.name}: mde {100 * s.mde:.3g}%" for cid, s in _sims(results)
            if s.moment and s.mde is not None and s.mde > 0.01]
    assert not weak, f"{len(weak)} moment checks weaker than 1%:\n  " + "\n  ".join(weak)


def test_false_alarm_level_of_the_power_statements(results):
    sims = _sims(results)
    assert sims
    alpha = Context().alpha
    assert alpha == pytest.approx(FAMILY_ALPHA / len(sims)) and alpha <= 1e-6
    for cid, s in sims:
        if s.mde is not None:  # those without are errors, reported above
            assert s.alpha == pytest.approx(alpha), f"{cid}/{s.name}"
            assert s.threshold is not None and s.threshold <= FAMILY_ALPHA, f"{cid}/{s.name}"
            assert s.alpha <= s.threshold * (1 + 1e-12), f"{cid}/{s.name}: power stated at a level above its Holm threshold"
