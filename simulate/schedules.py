"""Sample-size schedules M_0, M_1, ...: how many points each generation draws.

References: Shumailov et al. (2024), section "Theoretical intuition": the dataset
of generation i has M_i points; Theorem 3.1 and its discussion show that the
error stays bounded only when M_i grows superlinearly (e.g. quadratically).
"""

from __future__ import annotations

from collections.abc import Sequence

from collapse.core.validation import InvalidArgument, check_choice, check_int, check_schedule

SCHEDULES = ("constant", "linear", "quadratic", "given")

__all__ = ["SCHEDULES", "constant", "linear", "make_schedule", "quadratic"]


def constant(m: int, generations: int) -> tuple[int, ...]:
    """M_i = m for i < ``generations``."""
    m = check_int("m (samples per generation)", m, minimum=1)
    generations = check_int("generations", generations, minimum=0)
    return (m,) * generations


def linear(m: int, generations: int) -> tuple[int, ...]:
    """M_i = m (i + 1): sum 1/M_i diverges (error grows like log n)."""
    m = check_int("m (samples per generation)", m, minimum=1)
    generations = check_int("generations", generations, minimum=0)
    return tuple(m * (i + 1) for i in range(generations))


def quadratic(m: int, generations: int) -> tuple[int, ...]:
    """M_i = m (i + 1)^2: sum 1/M_i converges (the paper's bounded-error case)."""
    m = check_int("m (samples per generation)", m, minimum=1)
    generations = check_int("generations", generations, minimum=0)
    return tuple(m * (i + 1) ** 2 for i in range(generations))


def make_schedule(
    kind: str, m: int | None = None, generations: int | None = None, values: Sequence[int] | None = None,
    *, minimum: int = 1,
) -> tuple[int, ...]:
    """Build a schedule by name.

    Parameters
    ----------
    kind : {"constant", "linear", "quadratic", "given"}
    m : int
        Base sample size (not used by ``given``).
    generations : int
        Length of the schedule (not used by ``given``).
    values : sequence of int
        The user-given schedule (``kind="given"`` only).
    minimum : int
        Smallest admissible M_i (2 for families that estimate a variance).

    Returns
    -------
    tuple of int, length ``generations``
    """
    check_choice("schedule kind", kind, SCHEDULES)
    if kind == "given":
        if values is None:
            raise InvalidArgument("values", "a sequence of sample sizes for kind='given'", None)
        return check_schedule("schedule", values, minimum=minimum)
    if m is None or generations is None:
        raise InvalidArgument("m, generations", f"both given for kind={kind!r}", (m, generations))
    out = {"constant": constant, "linear": linear, "quadratic": quadratic}[kind](m, generations)
    return check_schedule("schedule", out, minimum=minimum)
