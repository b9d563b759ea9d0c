"""``collapse sweep GRID.toml``: run a grid of simulations (locally or on Dask); ``collapse figures sweep``.

The engine is :mod:`collapse.simulate.sweep.grid`. The closed-form values written beside the
simulated metrics come from :mod:`collapse.analytic` and are joined here, at the
application layer, because :mod:`collapse.simulate` does not import :mod:`collapse.analytic`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collapse.commands._args import IntRange, PathArg, TextArg
from collapse.commands._families import print_files
from collapse.commands._options import add, add_option

#: the largest grid file read (:data:`collapse.simulate.sweep.grid.MAX_GRID_BYTES`, not imported: numpy)
GRID_MAX_BYTES = 1_000_000
#: the most --workers (:data:`collapse.simulate.sweep.grid.MAX_WORKERS`)
MAX_WORKERS = 256


def _scheduler(text: str) -> str:
    from collapse.simulate.sweep.grid import check_scheduler_address

    return check_scheduler_address(text)


def _column(text: str) -> str:
    """A column name of summary.csv (which ones exist is checked against the summary itself)."""
    if not all(ch.isalnum() or ch in "_-." for ch in text):
        raise ValueError("a column name is letters, digits and _ - .")
    return text


SCHEDULER = TextArg("a Dask scheduler address such as tcp://host:8786", _scheduler,
                    bad=("tcp://", "http://host:8786", "tcp://host", "tcp://host:99999", "tcp://host:port", "host"),
                    max_length=300)
COLUMN = TextArg("a column name of the sweep's summary.csv", _column, bad=("w2 sq", "../x", "a,b"), max_length=100)


def register(top, groups) -> None:
    p = top.add_parser(
        "sweep", help="run a grid of simulation configs (local processes or a Dask cluster), resumably",
        description="Run every cell of GRID.toml (a family and values per parameter; the Cartesian product "
                    "is the grid) whose result is missing under --out, one result file per cell named by "
                    "the cell's config hash, then write summary.csv (and summary.parquet with pyarrow). "
                    "Rerunning resumes: finished cells are never recomputed or overwritten; a damaged cell file "
                    "is reported, moved aside and recomputed. Two sweeps on one --out share its cells (each is "
                    "computed once). SIGINT or SIGTERM stops the workers and keeps what is finished.")
    p.add_argument("grid", type=PathArg("in_file", max_bytes=GRID_MAX_BYTES), metavar="GRID.toml",
                   help=f"grid file, TOML, at most {GRID_MAX_BYTES} bytes and 100000 cells (see "
                        "examples/sweep_gaussian.toml)")
    p.add_argument("--executor", choices=("local", "dask"), default="local",
                   help="local: processes on this machine (default); dask: a dask.distributed scheduler (pip "
                        "install 'collapse-toolkit[sweep]')")
    p.add_argument("--scheduler", type=SCHEDULER, default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://host:8786; it must answer within 5 s (default: a "
                        "LocalCluster)")
    p.add_argument("--workers", type=IntRange(1, MAX_WORKERS), default=None,
                   help=f"processes (local) or LocalCluster workers (dask), 1 to {MAX_WORKERS}; default: this "
                        "machine's cores")
    add_option(p, "out", default=None, default_text="runs/sweep/<grid file name>")
    add(p, "force", "quiet", "json")
    p.set_defaults(func=_sweep)

    p = groups["figures"].add_parser(
        "sweep", help="any metric of a sweep against any swept parameter",
        description="Plot a metric of summary.csv against a parameter, one line per value of --hue; points are "
                    "means over the remaining cells (e.g. seeds) with standard-error bars; the closed form "
                    "(theory_<metric>), where there is one, is drawn dashed.")
    add_option(p, "out", required=True, note="the sweep's, holding summary.csv")
    p.add_argument("--metric", type=COLUMN, required=True, help="a metric column, e.g. w2sq, sigma2, heterozygosity")
    p.add_argument("--x", type=COLUMN, required=True, help="a swept parameter for the x axis, e.g. samples")
    p.add_argument("--hue", type=COLUMN, default=None, help="a parameter to draw one line per value of")
    add_option(p, "figures_dir", default=None, default_text="OUT")
    add(p, "json")
    p.set_defaults(func=_figure)


#: library argument names -> the options that set them
_OPTION = {"scheduler": "--scheduler", "workers": "--workers", "executor": "--executor"}


def _sweep(args) -> int:
    from collapse.simulate.sweep.grid import Terminated, interrupts_raise

    try:
        with interrupts_raise():  # SIGTERM as Ctrl-C: workers stopped, claims released, no temporary left
            return _run(args)
    except Terminated as exc:
        print("collapse: terminated; finished cells are kept, rerun the command to resume", file=sys.stderr)
        return 128 + exc.signum


def _run(args) -> int:
    import time

    from collapse.core.validation import InvalidArgument
    from collapse.simulate.sweep.grid import (
        SweepError,
        load_grid,
        run_sweep,
        summarize,
        write_summary,
    )

    grid = load_grid(args.grid)
    if args.scheduler and args.executor != "dask":
        raise InvalidArgument("--scheduler", "--executor dask with a scheduler address", args.scheduler)
    if args.executor == "dask":  # missing: collapse.cli says to install the sweep extra
        import dask.distributed  # noqa: F401
    out = args.out if args.out is not None else Path("runs/sweep") / args.grid.stem
    t0 = time.perf_counter()
    try:
        rep = run_sweep(grid, out, executor=args.executor, workers=args.workers, scheduler=args.scheduler,
                        progress=not args.quiet, force=args.force)
    except InvalidArgument as exc:
        if exc.name in _OPTION:
            raise InvalidArgument(_OPTION[exc.name], exc.expected, exc.got) from None
        raise
    except SweepError as exc:
        print(f"collapse sweep: {exc}", file=sys.stderr)
        paths = write_summary(summarize(grid, out, theory_values), out)
        if args.json:
            print(json.dumps({"grid": grid.name, "family": grid.family, "error": str(exc),
                              "summary": [str(p) for p in paths]}, indent=2))
        return 1
    paths = write_summary(summarize(grid, out, theory_values), out)
    if args.json:
        print(json.dumps({"grid": grid.name, "family": grid.family, "executor": args.executor,
                          **dataclasses.asdict(rep), "total_s": time.perf_counter() - t0,
                          "summary": [str(p) for p in paths]}, indent=2))
        return 0
    others = f", {rep.by_others} done by another process" if rep.by_others else ""
    print(f"sweep {grid.name} ({grid.family}): {rep.total} cells, {rep.skipped} already done, {rep.ran} ran{others} "
          f"in {rep.wall_s:.2f} s ({args.executor}); total {time.perf_counter() - t0:.2f} s")
    print("summary: " + ", ".join(str(p) for p in paths))
    return 0


def _figure(args) -> int:
    from collapse.figures.sweep import plot_sweep

    print_files(plot_sweep(args.out, args.metric, args.x, hue=args.hue, out_dir=args.figures_dir), args.json)
    return 0


# ---- closed forms beside the simulated metrics --------------------------------------------

def _float(expr, **values: float) -> float:
    """Evaluate a sympy expression, substituting its free symbols by name."""
    import sympy as sp

    missing = {s.name for s in expr.free_symbols} - set(values)
    assert not missing, f"no value for {missing}"
    return float(sp.N(expr.subs({s: values[s.name] for s in expr.free_symbols}).doit(), 20))


def theory_values(family: str, params: Mapping[str, Any]) -> dict[str, float]:
    """Closed-form expectations of the sweep metrics of one cell, keyed by metric name.

    Only where :mod:`collapse.analytic` has the exact value for the cell's regime; an empty
    dict otherwise. Values do not depend on ``seed`` or ``chains``, so they are
    cached on the rest of the parameters.
    """
    keep = tuple(sorted((k, v) for k, v in params.items() if k not in ("seed", "chains", "sampler")))
    return dict(_theory_cached(family, keep))


@functools.cache
def _theory_cached(family: str, items: tuple) -> tuple[tuple[str, float], ...]:
    fn = _THEORY.get(family)
    return tuple(fn(dict(items)).items()) if fn is not None else ()


def _gaussian_theory(p: dict) -> dict[str, float]:
    from collapse.analytic import numeric as N

    if p["regime"] == "accumulate":
        v = N.gaussian_accumulate_values(p["estimator"], [p["samples"]] * p["generations"], p["sigma0"], dps=20)
        return {"dmu2": float(v["E_dmu2"][-1]), "sigma2": float(v["E_sigma2"][-1])}
    v = N.gaussian_values(p["estimator"], p["samples"], p["generations"], p["sigma0"], dps=20)
    return {"dmu2": float(v["Var_mu"]), "sigma2": float(v["E_sigma2"]), "log_sigma2": float(v["E_log_sigma2"]),
            "w2sq": float(v["E_W2sq"])}


def _nd_theory(p: dict) -> dict[str, float]:
    from collapse.analytic.gaussian_nd import evaluate_nd

    if p["regime"] != "replace":
        return {}
    v = evaluate_nd(p["estimator"], p["samples"], p["generations"], p["dim"], dps=20)
    d = p["dim"]  # Sigma_0 = I: traces are d times the factors, log det Sigma_0 = 0
    return {"dmu2": d * v["Cov_mu_factor"], "trace_cov": d * v["E_Sigma_factor"], "logdet": v["E_logdet"]}


def _discrete_theory(p: dict) -> dict[str, float]:
    from collapse.analytic import discrete as D

    if p["regime"] != "replace":
        return {}
    return {"heterozygosity": _float(D.expected_heterozygosity(), H0=1 - 1 / p["states"], M=p["samples"],
                                     t=p["generations"])}


def _kde_theory(p: dict) -> dict[str, float]:
    from collapse.analytic import mixing as X

    if p["regime"] != "replace":
        return {}
    # the metric is the variance of D_{n-1}, the last training set; p_0 = N(0, 1)
    return {"var": _float(X.kde_variance()[0], sigma0=1.0, h=p["bandwidth"], M=p["samples"], g=p["generations"] - 1)}


def _regression_theory(p: dict) -> dict[str, float]:
    from collapse.analytic import mixing as X

    risk = X.replace_risk() if p["regime"] == "replace" else X.accumulate_risk()
    v = p["noise"] ** 2 * p["dim"] / p["samples"]  # one refit's in-sample excess risk, fixed design
    return {"risk": _float(risk, v=v, g=p["generations"])}


_THEORY = {"gaussian": _gaussian_theory, "gaussian-nd": _nd_theory, "discrete": _discrete_theory,
           "kde": _kde_theory, "regression": _regression_theory}

