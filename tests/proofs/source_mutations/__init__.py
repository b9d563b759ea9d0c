"""Tables of source mutations: edits of analytic/, the fast samplers and the loop.

Each table module in this folder (a name not starting with ``_``) defines
``MUTATIONS``, a list of :class:`Mutation`::

    from tests.proofs.source_mutations import Mutation

    MUTATIONS = [
        Mutation(file="analytic/gaussian.py", find="M - 1", replace="M - 2",
                 claims=("thm3.1-gaussian-collapse",),
                 why="unbiased variance estimator divides by M - 2 instead of M - 1"),
        ...
    ]

``file``        path of the edited source in the checkout (``analytic/gaussian.py``,
                ``simulate/loop.py``...), as pyproject's package-dir lays it out;
``find``        exact source text, occurring exactly once in that file (checked);
``replace``     its replacement;
``claims``      ids of the claims to run against the edited copy (exact ids);
``why``         what the edit breaks, in words (printed in the table);
``equivalent``  None, or a written justification why the edit cannot change any
                result (an equivalent mutant: it is run too, and reported as
                "equivalent: ..." when it survives; one that is killed is a table error);
``fast``        True to prefer the edit for the fast subset the default test suite runs
                (:func:`fast_subset`: about 10 edits within a time budget, every table
                represented; an edit whose claims are slow may still be left out);
``id``          optional explicit id; by default ``<table>-<index>`` (``gaussian-03``,
                index from 1 within its table).

:func:`all_mutations` loads every table and checks them. The tool that applies the
edits is ``python -m tests.proofs.mutate`` (tests/proofs/mutate.py).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from pathlib import Path

__all__ = ["CHECKOUT", "Mutation", "TableError", "all_mutations", "check_table", "claim_seconds", "fast_subset",
           "table_names"]

#: the repository root (tests/proofs/source_mutations/__init__.py -> ../../..)
CHECKOUT = Path(__file__).resolve().parents[3]


class TableError(ValueError):
    """A table entry that cannot be applied (find not unique, unknown file, duplicate id...)."""


@dataclasses.dataclass(frozen=True)
class Mutation:
    file: str
    find: str
    replace: str
    claims: tuple[str, ...]
    why: str
    equivalent: str | None = None
    fast: bool = False
    id: str | None = None
    #: set by :func:`all_mutations`: the table module the entry comes from
    table: str = dataclasses.field(default="", compare=False)

    def __post_init__(self) -> None:
        claims = (self.claims,) if isinstance(self.claims, str) else tuple(self.claims)
        object.__setattr__(self, "claims", claims)
        where = f"mutation of {self.file!r} (find {self.find[:60]!r})"
        if not claims or not all(isinstance(c, str) and c for c in claims):
            raise TableError(f"{where}: claims must be a non-empty tuple of claim ids, got {self.claims!r}")
        if not isinstance(self.find, str) or not self.find:
            raise TableError(f"{where}: find must be a non-empty string")
        if self.find == self.replace:
            raise TableError(f"{where}: replace is the same as find")
        if not (isinstance(self.why, str) and self.why.strip()):
            raise TableError(f"{where}: why must say what the edit breaks")
        if self.equivalent is not None and not (isinstance(self.equivalent, str) and self.equivalent.strip()):
            raise TableError(f"{where}: equivalent must be None or a written justification")

    @property
    def label(self) -> str:
        return self.id or "?"


def table_names() -> list[str]:
    """The table modules of this folder, sorted (names starting with ``_`` are not tables)."""
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def check_table(mutations, checkout: Path = CHECKOUT) -> list[Mutation]:
    """Give each entry its id and check it: file exists, ``find`` occurs exactly once, ids unique.

    Raises :class:`TableError` naming every bad entry.
    """
    out, problems, seen = [], [], {}
    counters: dict[str, int] = {}
    texts: dict[str, str] = {}
    for m in mutations:
        counters[m.table] = counters.get(m.table, 0) + 1
        mid = m.id or f"{m.table or 'table'}-{counters[m.table]:02d}"
        m = dataclasses.replace(m, id=mid)
        name = f"{mid} ({m.table or '?'} entry {counters[m.table]}, {m.file})"
        if mid in seen:
            problems.append(f"{name}: duplicate id (also {seen[mid]})")
        seen.setdefault(mid, name)
        path = checkout / m.file
        if m.file not in texts:
            try:
                texts[m.file] = path.read_text(encoding="utf-8")
            except OSError as exc:
                problems.append(f"{name}: cannot read {m.file}: {exc}")
                texts[m.file] = None
        text = texts[m.file]
        if text is not None:
            count = text.count(m.find)
            if count != 1:
                problems.append(f"{name}: find {m.find!r} occurs {count} times in {m.file} (must be exactly once)")
        out.append(m)
    if problems:
        raise TableError("bad mutation table entries:\n  " + "\n  ".join(problems))
    return out


def all_mutations(checkout: Path = CHECKOUT) -> list[Mutation]:
    """Every table's MUTATIONS, in table order, with ids, checked (see :func:`check_table`)."""
    entries = []
    for name in table_names():
        mod = importlib.import_module(f"{__name__}.{name}")
        table = getattr(mod, "MUTATIONS", None)
        if table is None:
            raise TableError(f"table {name}.py defines no MUTATIONS")
        for i, m in enumerate(table, 1):
            if not isinstance(m, Mutation):
                raise TableError(f"table {name}.py entry {i} is not a Mutation: {m!r}")
            entries.append(dataclasses.replace(m, table=name))
    return check_table(entries, checkout)


#: the fast subset's size and its budget, in estimated seconds of one core (two cores: about half
#: of it in wall time): every claim once for the baseline, once per edit, and a child's start-up
FAST_COUNT = 10
FAST_BUDGET = 100.0
CHILD_SECONDS = 2.5


def claim_seconds() -> dict[str, float]:
    """Expected seconds of each claim (the registry's table of a serial run)."""
    try:
        from collapse.proofs.registry import EXPECTED_SECONDS
    except ImportError:  # an older registry without the table
        return {}
    return dict(EXPECTED_SECONDS)


def fast_subset(mutations: list[Mutation], costs: dict[str, float] | None = None, *,
                count: int = FAST_COUNT, budget: float = FAST_BUDGET) -> list[Mutation]:
    """The edits run by the default test suite: at most ``count``, within ``budget``. Deterministic.

    Rounds over the tables (so that every table is represented), one edit per table and
    round: preferably one editing a file no chosen edit edits yet, then a ``fast=True``
    one, then the cheapest (by the claims' expected seconds, :func:`claim_seconds`; 10 s
    for a claim it does not list), then table order. An edit is taken only while the
    estimate (each claim once for the baseline and once per edit, plus
    :data:`CHILD_SECONDS` per child) stays within ``budget``. Equivalent edits are not
    candidates. Returned in table order.
    """
    costs = claim_seconds() if costs is None else costs

    def cost(m: Mutation) -> float:
        return sum(costs.get(c, 10.0) for c in m.claims)

    order = {id(m): k for k, m in enumerate(mutations)}
    left: dict[str, list[Mutation]] = {}
    for m in mutations:
        if m.equivalent is None:
            left.setdefault(m.table, []).append(m)
    chosen: list[Mutation] = []

    def estimate(extra: Mutation) -> float:
        every = {c for m in (*chosen, extra) for c in m.claims}
        return (sum(costs.get(c, 10.0) for c in every) + sum(cost(m) for m in (*chosen, extra))
                + CHILD_SECONDS * (len(chosen) + 3))

    while len(chosen) < count and any(left.values()):
        for table in sorted(left):
            files = {m.file for m in chosen}
            fits = [m for m in left[table] if estimate(m) <= budget]
            left[table] = fits  # what does not fit now never will: the estimate only grows
            if len(chosen) >= count or not fits:
                continue
            m = min(fits, key=lambda m: (m.file in files, not m.fast, cost(m), order[id(m)]))
            chosen.append(m)
            fits.remove(m)
    return sorted(chosen, key=lambda m: order[id(m)])
