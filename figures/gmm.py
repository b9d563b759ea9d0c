"""Supplementary Material, Gaussian mixture: scatter panels and L2 distance to generation 0.

Reads ``gmm.npz`` (written by :func:`simulate.experiments.run_gmm`). EM's components are
exchangeable, so the scatter panels colour a component by a slot that follows it from
generation to generation (:func:`component_order`, from the saved means and covariances
of every generation), not by the index EM happened to give it. ``k`` is the component
index throughout; generations are ``n``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "gmm.npz"


def _panels_in_range(cfg: dict, a: dict) -> str | None:
    G, K = cfg["generations"], cfg["n_components"]
    if a["panel_gens"].size == 0:
        return "no scatter panels (array 'panel_gens' is empty)"
    if a["panel_gens"].min() < 0 or a["panel_gens"].max() > G:
        return f"array 'panel_gens' holds generations outside 0 .. {G}"
    labels = a["panel_labels"]
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        return f"array 'panel_labels' holds components outside 0 .. {K - 1}"
    return None


def _load(results_dir: Path):
    """``(meta, arrays)`` of the saved ``gmm.npz``, every array the figure draws checked (DamagedFile if not)."""
    from collapse.simulate.experiments.results import read_arrays

    path = Path(results_dir) / RESULTS
    spec = {"l2": ("C", "G1"), "std": ("C", "G1", "K"), "weights": ("C", "G1", "K"), "means": ("C", "G1", "K", 2),
            "covs": ("C", "G1", "K", 2, 2), "panel_gens": ("P",), "panel_x": ("P", "PC", "N", 2),
            "panel_labels": ("P", "PC", "N")}
    config = {"n_chains": int, "generations": int, "n_components": int, "samples": int, "panels": list,
              "panel_chains": int}
    return read_arrays(path, path.stem, spec, config=config, integer=("panel_gens", "panel_labels"),
                       check=_panels_in_range,
                       dims=lambda cfg: {"C": cfg["n_chains"], "G1": cfg["generations"] + 1, "K": cfg["n_components"],
                                         "N": cfg["samples"], "P": len(cfg["panels"]),
                                         "PC": min(cfg["panel_chains"], cfg["n_chains"])})


def _sqrt_psd(covs: np.ndarray) -> np.ndarray:
    """Symmetric square roots of stacked covariance matrices (..., d, d)."""
    w, v = np.linalg.eigh(covs)
    return np.einsum("...ij,...j,...kj->...ik", v, np.sqrt(np.clip(w, 0.0, None)), v)


def _matching(prev_mu: np.ndarray, cur_mu: np.ndarray, prev_root=None, cur_root=None) -> np.ndarray:
    """The permutation ``p`` with ``cur[p[j]]`` the component closest to ``prev[j]``: least total
    ``|mu - mu'|^2 + |Sigma^(1/2) - Sigma'^(1/2)|_F^2`` (a squared 2-Wasserstein distance between the
    Gaussians when their covariances commute; the mean term alone without roots), one-to-one, so two
    components never share a colour."""
    from scipy.optimize import linear_sum_assignment

    cost = ((prev_mu[:, None, :] - cur_mu[None, :, :]) ** 2).sum(-1)
    if prev_root is not None:
        cost = cost + ((prev_root[:, None] - cur_root[None, :]) ** 2).sum((-2, -1))
    rows, cols = linear_sum_assignment(cost)
    return cols[np.argsort(rows)]


def component_order(means: np.ndarray, covs: np.ndarray | None = None, tol: float = 1e-9) -> np.ndarray:
    """Colour slots of one chain's components, matched across generations: ``(G+1, K)`` ints.

    ``means`` : (G+1, K, d) and ``covs`` (G+1, K, d, d), optional: the chain's fitted
    components at every generation. EM components are exchangeable (which one is
    "component 0" can change from one refit to the next), so slot ``k`` follows one
    component through the chain: at the first generation whose components are apart
    (generation 0 is one blob written as K equal components) the slots take the components
    in order of their means (first coordinate, then the next); every other generation's
    component in slot ``k`` is the one closest (:func:`_matching`: mean, and shape when
    ``covs`` is given) to slot ``k``'s component one generation before (after, going back).
    The result does not depend on how the saved arrays order the components.
    ``order[g, k]`` is the index, in generation g's arrays, of the component in slot k.
    """
    means = np.asarray(means, dtype=float)
    n_gens, K = means.shape[:2]
    roots = _sqrt_psd(np.asarray(covs, dtype=float)) if covs is not None else None

    def match(g_from: int, g: int) -> np.ndarray:
        o = order[g_from]
        if roots is None:
            return _matching(means[g_from][o], means[g])
        return _matching(means[g_from][o], means[g], roots[g_from][o], roots[g])

    order = np.empty((n_gens, K), dtype=int)
    gaps = [min((float(np.sum((m[i] - m[k]) ** 2)) for i in range(K) for k in range(i)), default=np.inf)
            for m in means]
    g0 = next((g for g in range(n_gens) if gaps[g] > tol), 0)
    order[g0] = np.lexsort(means[g0].T[::-1])
    for g in range(g0 + 1, n_gens):
        order[g] = match(g - 1, g)
    for g in range(g0 - 1, -1, -1):
        order[g] = match(g + 1, g)
    return order


def slots_of(labels: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each sample's colour slot: its component label mapped through ``order`` (K,) of its generation."""
    slot = np.empty_like(order)
    slot[order] = np.arange(order.size)
    return slot[np.asarray(labels, dtype=int)]


def _scatter_panel(ax, generation: int, x: np.ndarray, slots: np.ndarray, K: int) -> None:
    """One generation's samples, coloured by component slot k, on the square [-4, 4]^2."""
    from collapse.figures.style import PALETTE

    for k in range(K):
        ax.scatter(*x[slots == k].T, s=2, color=PALETTE[k % len(PALETTE)], alpha=0.6, linewidths=0)
    ax.set_title(f"generation {generation}")
    ax.set_aspect("equal")
    ax.set_xlim(-4, 4)
    ax.set_ylim(-4, 4)


def _draw_panels(a, out_dir: Path) -> list[Path]:
    """``gmm_panels``: chain 0's samples at each saved generation, one panel each, a component
    keeping its colour from panel to panel (:func:`component_order`)."""
    from matplotlib.lines import Line2D

    from collapse.figures.style import PALETTE, figure, finish

    gens, px, pl = a["panel_gens"], a["panel_x"], a["panel_labels"]
    K = a["means"].shape[2]
    order = component_order(a["means"][0], a["covs"][0])
    fig, axes = figure(1, len(gens), figsize=(2.3 * len(gens), 2.6), sharex=True, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, g, x, lab in zip(axes, gens, px[:, 0], pl[:, 0]):
        _scatter_panel(ax, int(g), x, slots_of(lab, order[int(g)]), K)
    handles = [Line2D([], [], linestyle="none", marker="o", color=PALETTE[k % len(PALETTE)],
                      label=f"component k = {k + 1}") for k in range(K)]
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.01), ncol=K, frameon=False)
    return finish(fig, out_dir, "gmm_panels", tight=False, y=1.17,
                  title=(f"GMM chain 0: {px.shape[2]} samples of each generation's mixture\ncolour: component k, "
                         "followed from generation to generation (nearest mean and shape)"))


def _per_chain_panel(ax, gens: np.ndarray, values: np.ndarray, median_label: str) -> None:
    """One thin grey line per chain (rows of ``values``) and their median in black, log scale.

    Grey, not a palette colour: in gmm_panels the palette colours name components.
    """
    for c in range(values.shape[0]):
        ax.plot(gens, values[c], color="0.55", alpha=0.5, linewidth=0.7,
                label=f"each of {values.shape[0]} chains" if c == 0 else None)
    ax.plot(gens, np.median(values, axis=0), color="black", linewidth=1.6, label=median_label)
    ax.set_yscale("log")


def _draw_l2(a, out_dir: Path) -> list[Path]:
    """``gmm_l2``: L2 distance to generation 0, and the per-component spread, per chain."""
    from collapse.figures.style import figure, finish, label

    l2, std = a["l2"], a["std"]
    G = l2.shape[1] - 1
    fig, axes = figure(1, 2, figsize=(11, 3.8))
    _per_chain_panel(axes[0], np.arange(1, G + 1), l2[:, 1:], f"median of {l2.shape[0]} chains")
    label(axes[0], "generation $n$", "$\\|f_n - f_0\\|_{L_2}$ (closed form)", "L2 distance to generation 0",
          legend=True)
    # the spread averaged over components k, per chain
    _per_chain_panel(axes[1], np.arange(G + 1), std.mean(axis=2), f"median of {std.shape[0]} chains")
    label(axes[1], "generation $n$", "component std $\\sqrt{\\mathrm{tr}\\,\\Sigma_k/2}$, mean over $k$",
          "component spread collapses", legend=True)
    return finish(fig, out_dir, "gmm_l2")


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    _, a = _load(results_dir)
    return _draw_panels(a, out_dir) + _draw_l2(a, out_dir)


def describe(results_dir: Path):
    from collapse.figures.registry import Description, Number

    meta, a = _load(results_dir)
    std = np.median(a["std"].mean(axis=2), axis=0)
    G = a["std"].shape[1] - 1
    return Description(
        paper=("A two-component mixture refitted on 1000 of its own samples for about 2000 generations splits one "
               "blob into two and collapses: the per-component standard deviation falls from about 0.90 to 0.01."),
        run=(f"{a['std'].shape[0]} chains, {G} generations: median per-component std {std[1]:.3f} at generation 1 and "
             f"{std[-1]:.3f} at generation {G}; median L2 distance to generation 0 {np.median(a['l2'][:, -1]):.2f}."),
        numbers=(Number("GMM per-component std, first -> last generation", "0.90 -> 0.01",
                        f"{std[1]:.2f} -> {std[-1]:.3f}", "same" if G >= 2000 else "reduced"),),
    )


FIGURES = [FigureSpec(
    name="gmm", title="GMM chain: scatter panels (generations 0-2000) and L2 distance to generation 0",
    paper="Supplementary Material, Gaussian mixture figure",
    command="collapse simulate gmm && collapse figures gmm", draw=draw, results=RESULTS, describe=describe)]
