"""Any metric of a sweep against any swept parameter, with the closed form where there is one.

Reads ``summary.csv`` of a sweep run folder (written by ``collapse sweep``, see
:mod:`collapse.simulate.sweep.grid`). Each point is the mean of the metric over the cells that
share its (x, hue) values, usually the seeds; its error bar is the standard
error over those cells, or the within-cell ``<metric>_se`` (over chains) when
there is only one. ``theory_<metric>``, where present, is drawn dashed.

A summary or ``grid.json`` that cannot be read back (truncated, empty, not UTF-8, rows of
the wrong width, a metric that is not a number) is a
:class:`~collapse.core.runner.DamagedFile` naming the file, with what to do: rerun
``collapse sweep GRID.toml --out DIR``, which rewrites both from the cell files.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from collapse.core.runner import DamagedFile
from collapse.core.validation import InvalidArgument, check_choice

__all__ = ["aggregate", "plot_sweep", "read_summary"]


def _value(text: str) -> Any:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _advice(run_dir: str | Path) -> str:
    return f"rerun `collapse sweep GRID.toml --out {run_dir}` to rewrite it"


def read_summary(run_dir: str | Path) -> list[dict[str, Any]]:
    """The rows of ``run_dir/summary.csv``, numbers parsed; :class:`DamagedFile` if it cannot be read back."""
    path = Path(run_dir) / "summary.csv"
    if not path.exists():
        raise InvalidArgument("--out", "a sweep run folder holding summary.csv (run `collapse sweep` first)",
                              str(run_dir))
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DamagedFile(path, f"byte {exc.start} is not UTF-8", _advice(run_dir)) from None
    except OSError as exc:
        raise DamagedFile(path, exc.strerror or type(exc).__name__, _advice(run_dir)) from None
    if not text.strip():
        raise DamagedFile(path, "empty", _advice(run_dir))
    if not text.endswith("\n"):
        raise DamagedFile(path, "truncated (its last line is not complete)", _advice(run_dir))
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DamagedFile(path, f"not CSV ({exc})", _advice(run_dir)) from None
    header = table[0]
    if "key" not in header or "family" not in header or len(set(header)) != len(header):
        raise DamagedFile(path, "no header of distinct column names with key and family", _advice(run_dir))
    rows = []
    for line, fields in enumerate(table[1:], start=2):
        if len(fields) != len(header):
            raise DamagedFile(path, f"line {line} has {len(fields)} fields, the header {len(header)}",
                              _advice(run_dir))
        rows.append({k: _value(v) for k, v in zip(header, fields)})
    return rows


def _mean_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, math.nan
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)


def aggregate(rows: list[dict[str, Any]], metric: str, x: str, hue: str | None = None) -> dict[Any, dict[str, list]]:
    """Per hue value: sorted ``x``, ``mean``, ``se`` and ``theory`` (None where absent) lists."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row.get(hue) if hue else None, row[x])].append(row)
    out: dict[Any, dict[str, list]] = defaultdict(lambda: {"x": [], "mean": [], "se": [], "theory": []})
    for (h, xv), members in sorted(groups.items(), key=lambda kv: (_sort_key(kv[0][0]), _sort_key(kv[0][1]))):
        mean, se = _mean_se([float(m[metric]) for m in members])
        if len(members) == 1 and members[0].get(f"{metric}_se") is not None:
            se = float(members[0][f"{metric}_se"])
        theory = [m.get(f"theory_{metric}") for m in members]
        line = out[h]
        line["x"].append(xv)
        line["mean"].append(mean)
        line["se"].append(se)
        line["theory"].append(theory[0] if theory and None not in theory else None)
    return dict(out)


def _sort_key(v: Any) -> tuple:
    """Numbers in numeric order, then everything else as text (None for a missing hue)."""
    return (0, v, "") if isinstance(v, (int, float)) else (1, 0, str(v))


def _columns(run_dir: Path, rows: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(parameters, metrics) of a summary: the parameters are the grid's axes (grid.json)."""
    grid = run_dir / "grid.json"
    if not grid.exists():
        raise InvalidArgument("--out", "a sweep run folder holding grid.json", str(run_dir))
    try:
        axes = json.loads(grid.read_bytes().decode("utf-8"))["axes"]
        if not isinstance(axes, dict) or not all(isinstance(k, str) for k in axes):
            raise TypeError("axes is not a table of parameters")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        why = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
        raise DamagedFile(grid, why, _advice(run_dir)) from None
    params = list(axes)
    missing = [p for p in params if p not in rows[0]]
    if missing:
        raise DamagedFile(run_dir / "summary.csv", f"no column for the grid's parameter {missing[0]!r}",
                          _advice(run_dir))
    skip = {"key", "family", "wall_s", *params}
    metrics = [c for c in rows[0] if c not in skip and not c.endswith("_se") and not c.startswith("theory_")]
    return params, metrics


def _log_scale(values: list[Any]) -> bool:
    nums = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    return len(nums) == len(values) and bool(nums) and min(nums) > 0 and max(nums) / min(nums) >= 50


def _checked_rows(run_dir: str | Path, metric: str, x: str, hue: str | None) -> tuple[list[dict], list[str]]:
    """The summary's rows and parameters, once ``metric``, ``x`` and ``hue`` are known to be among them."""
    rows = read_summary(run_dir)
    if not rows:
        raise InvalidArgument("--out", "a summary with at least one finished cell", str(run_dir))
    params, metrics = _columns(Path(run_dir), rows)
    check_choice("--metric", metric, metrics)
    check_choice("--x", x, params)
    if hue is not None:
        check_choice("--hue", hue, [p for p in params if p != x])
    for line, row in enumerate(rows, start=2):
        value = row[metric]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DamagedFile(Path(run_dir) / "summary.csv", f"line {line}: {metric} is {value!r}, not a number",
                              _advice(run_dir))
        if row[x] is None or (hue is not None and row[hue] is None):
            raise DamagedFile(Path(run_dir) / "summary.csv", f"line {line}: no value of {x if row[x] is None else hue}",
                              _advice(run_dir))
    return rows, params


def _yerr(mean: list[float], se: list[float], log: bool):
    """Error bars of +-1 standard error (0 where there is none); on a log axis drawn in log space
    (mean x exp(-+ SE/mean), :func:`collapse.figures.style.log_yerr`), so a lower end never reaches 0."""
    from collapse.figures.style import log_yerr

    se = [0.0 if s is None or math.isnan(s) else s for s in se]
    return log_yerr(mean, se, 1.0) if log else se


def _draw_lines(ax, lines: dict[Any, dict[str, list]], hue: str | None, labels: list[str] | None,
                logy: bool = False) -> None:
    """Means with error bars, one colour per hue value, and the closed form dashed where there is one.

    ``labels``: the x values in axis order when ``x`` is categorical (None when numeric);
    ``logy``: the y axis will be logarithmic (error bars drawn in log space).
    """
    from collapse.figures.style import PALETTE, THEORY_STYLE

    for j, (h, line) in enumerate(lines.items()):
        xs = [labels.index(str(v)) for v in line["x"]] if labels is not None else line["x"]
        colour = PALETTE[j % len(PALETTE)]
        ax.errorbar(xs, line["mean"], yerr=_yerr(line["mean"], line["se"], logy), marker="o",
                    markersize=4, capsize=2, color=colour, label=f"{hue} = {h}" if hue else "simulated")
        if any(t is not None for t in line["theory"]):
            pts = [(a, t) for a, t in zip(xs, line["theory"]) if t is not None]
            ax.plot(*zip(*pts), **{**THEORY_STYLE, "color": colour},
                    label="closed form (dashed)" if j == 0 else None)


def _set_scales(ax, xvalues: list[Any], means: list[float], labels: list[str] | None) -> None:
    """Categorical ticks (``labels``) or a log x axis for a wide positive range; the same test for y."""
    if labels is not None:
        ax.set_xticks(range(len(labels)), labels)
    elif _log_scale(xvalues):
        ax.set_xscale("log")
    if _log_scale(means):
        ax.set_yscale("log")


def _title(rows: list[dict[str, Any]], params: list[str], metric: str, x: str, hue: str | None) -> str:
    """``<family> sweep: <metric> vs <x>``, naming the parameters averaged over."""
    family = rows[0].get("family", "")
    others = [p for p in params if p not in (x, hue) and len({r[p] for r in rows}) > 1]
    return f"{family} sweep: {metric} vs {x}" + (f" (mean over {', '.join(others)})" if others else "")


def plot_sweep(run_dir: str | Path, metric: str, x: str, *, hue: str | None = None,
               out_dir: str | Path | None = None) -> list[Path]:
    """Draw ``metric`` against parameter ``x`` (one line per ``hue`` value); save PNG and PDF.

    Returns the written paths (``sweep_<metric>_vs_<x>[_by_<hue>].png/.pdf``).
    """
    from collapse.figures.style import figure, finish, label

    rows, params = _checked_rows(run_dir, metric, x, hue)
    lines = aggregate(rows, metric, x, hue)
    xvalues = [r[x] for r in rows]
    categorical = not all(isinstance(v, (int, float)) for v in xvalues)
    labels = sorted({str(v) for v in xvalues}) if categorical else None
    fig, ax = figure(figsize=(5.6, 3.9))
    means = [m for line in lines.values() for m in line["mean"]]
    logy = _log_scale(means)
    _draw_lines(ax, lines, hue, labels, logy)
    _set_scales(ax, xvalues, means, labels)
    label(ax, x, metric, _title(rows, params, metric, x, hue))
    ax.legend(title="error bars: +-1 SE" + (", in log space" if logy else ""), title_fontsize=8)
    stem = f"sweep_{metric}_vs_{x}" + (f"_by_{hue}" if hue else "")
    return finish(fig, Path(out_dir) if out_dir is not None else Path(run_dir), stem, tight=False)
