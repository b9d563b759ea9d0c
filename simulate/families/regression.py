"""Least squares refitted on labels produced by the previous generation's model.

Generation 0 is the true linear model y = x^T w* + noise. Each later generation's
training labels are the previous fitted model's predictions plus fresh noise of the
same variance, on the same (``fixed``) or fresh (``random``) design; the model is
refitted by ordinary least squares. This is the setting of the
accumulate-versus-replace literature (Gerstgrasser et al. 2024, "Is model
collapse inevitable?"): with a fixed design the excess risk grows like g sigma^2 d/n
when data are replaced and stays below pi^2/6 sigma^2 d/n when they accumulate
(see :mod:`collapse.analytic.mixing`).

A data point is the row (x_1, ..., x_d, y): data arrays have shape
(n_chains, n_samples, d + 1).

References: Shumailov et al. (2024), "Theoretical intuition" (the regimes);
Gerstgrasser et al. (2024), Theorem 1.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from collapse.core.validation import InvalidArgument, check_choice, check_int, check_positive_real
from collapse.simulate.base import check_weights

DESIGNS = ("fixed", "random")

__all__ = ["DESIGNS", "RegressionFamily", "RegressionParams", "excess_risk"]


@dataclasses.dataclass(frozen=True, eq=False)
class RegressionParams:
    """Linear models, one per chain: ``weights`` (n_chains, d)."""

    weights: np.ndarray


@dataclasses.dataclass(frozen=True, eq=False)
class RegressionFamily:
    """OLS on ``dim`` features; labels are predictions plus N(0, ``noise``^2).

    ``design="fixed"`` reuses the matrix ``X`` (n, d) for every dataset of n points (a
    sample of fewer points, as the ``mix`` regime draws for its shares, is a uniform subset
    of the rows; more than n is refused); ``"random"`` draws x ~ N(0, I_d) afresh.
    """

    dim: int
    noise: float = 1.0
    design: str = "fixed"
    X: np.ndarray | None = None
    name: str = "regression"

    def __post_init__(self) -> None:
        check_int("dim (d)", self.dim, minimum=1)
        check_positive_real("noise", self.noise)
        check_choice("design", self.design, DESIGNS)
        if self.design == "fixed":
            X = None if self.X is None else np.asarray(self.X, dtype=float)
            if X is None or X.ndim != 2 or X.shape[1] != self.dim or X.shape[0] <= self.dim \
                    or np.linalg.matrix_rank(X) < self.dim:
                raise InvalidArgument("X", f"a full-rank design of shape (n > {self.dim}, {self.dim})",
                                      None if X is None else X.shape)
            object.__setattr__(self, "X", X)

    @classmethod
    def with_fixed_design(cls, n: int, dim: int, rng: np.random.Generator, noise: float = 1.0) -> "RegressionFamily":
        """A fixed Gaussian design X (n, dim) drawn once from ``rng``."""
        n = check_int("n", n, minimum=dim + 1)
        return cls(dim, noise, "fixed", rng.standard_normal((n, dim)))

    def fit(self, data: np.ndarray) -> RegressionParams:
        """OLS per chain. ``data`` : (n_chains, n_samples, d + 1), the last column the labels."""
        self._check(data)
        X, y = data[..., :-1], data[..., -1]
        XtX = np.swapaxes(X, 1, 2) @ X  # (C, d, d)
        Xty = np.einsum("cnd,cn->cd", X, y)
        return self._solve(XtX, Xty)

    def _check(self, data: np.ndarray) -> None:
        if data.ndim != 3 or data.shape[2] != self.dim + 1 or data.shape[1] < self.dim:
            raise InvalidArgument("data", f"an array of shape (n_chains, n_samples >= {self.dim}, {self.dim + 1})",
                                  data.shape)

    @staticmethod
    def _solve(XtX: np.ndarray, Xty: np.ndarray) -> RegressionParams:
        try:
            return RegressionParams(np.linalg.solve(XtX, Xty[..., None])[..., 0])
        except np.linalg.LinAlgError:
            raise np.linalg.LinAlgError("singular design: use more samples than features") from None

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> RegressionParams:
        """Weighted least squares per chain, w = (X^T W X)^-1 X^T W y with W = diag(weights);
        ``weights`` (n_chains, n_samples) (points of weight 0 drop out)."""
        self._check(data)
        wt = check_weights(data, weights)
        if np.any((wt > 0).sum(axis=1) < self.dim):
            raise InvalidArgument("weights", f"at least dim = {self.dim} rows of positive weight per chain (weighted "
                                  "least squares; under weight:1,K the real share round(M/(1+K)) must hold them)",
                                  int((wt > 0).sum(axis=1).min()))
        X, y = data[..., :-1], data[..., -1]
        XtWX = np.einsum("cnd,cn,cne->cde", X, wt, X)
        XtWy = np.einsum("cnd,cn,cn->cd", X, wt, y)
        return self._solve(XtWX, XtWy)

    def log_density(self, params: RegressionParams, x: np.ndarray) -> np.ndarray:
        """log of the joint density of rows (x, y), (n_chains, n, d + 1) -> (n_chains, n):
        log N(y; x^T w, noise^2) + log p(x), where p(x) is 1/n on the fixed design's rows (a row
        is taken to be one of them: the family only draws those) or N(0, I_d) for ``random``."""
        X, y = x[..., :-1], x[..., -1]
        r = y - np.einsum("cmd,cd->cm", X, params.weights)
        out = -0.5 * (np.log(2 * np.pi * self.noise**2) + (r / self.noise) ** 2)
        if self.design == "fixed":
            return out - np.log(self.X.shape[0])
        return out - 0.5 * (self.dim * np.log(2 * np.pi) + (X**2).sum(-1))

    def max_log_density(self, params: RegressionParams) -> np.ndarray:
        """The joint log density at its maximum (y = x^T w, x = 0), (n_chains,), for ``random`` designs.

        A ``fixed`` design is refused: the ``curate`` regime draws independent candidates until
        it keeps M_g, while the fixed design's rows are a subset drawn without replacement (at
        most n of them), so its candidates are neither independent nor unlimited.
        """
        if self.design == "fixed":
            raise InvalidArgument("regime", "design='random' for the curate regime (candidates are independent "
                                  "draws; the fixed design's rows are not)", "design='fixed'")
        top = -0.5 * np.log(2 * np.pi * self.noise**2) - 0.5 * self.dim * np.log(2 * np.pi)
        return np.full(params.weights.shape[0], top)

    def sample(self, params: RegressionParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Return (n_chains, m, d + 1): design rows and labels x^T w + noise."""
        C = params.weights.shape[0]
        m = check_int("m", m, minimum=0)
        if self.design == "fixed":
            X = self._fixed_rows(C, m, rng)
        else:
            X = rng.standard_normal((C, m, self.dim))
        y = np.einsum("cmd,cd->cm", X, params.weights) + self.noise * rng.standard_normal((C, m))
        return np.concatenate([X, y[..., None]], axis=-1)

    def _fixed_rows(self, C: int, m: int, rng: np.random.Generator) -> np.ndarray:
        """``m <= n`` rows of the fixed design per chain, (C, m, d): all n rows in order when m = n.

        Fewer (the ``mix`` regime's shares: the model's, the fresh real data's) are a uniform
        subset of ``m`` distinct rows, independently per chain, in the design's order: the
        rows of a training set of the mix regime are then rows of X, each at most once per share.
        """
        n = self.X.shape[0]
        if m > n:
            raise InvalidArgument("m", f"at most the fixed design's row count {n} (a uniform subset of its rows "
                                  "when fewer)", m)
        if m == n:
            return np.broadcast_to(self.X, (C,) + self.X.shape)
        if m == 0:
            return np.zeros((C, 0, self.dim))
        idx = np.sort(np.argpartition(rng.random((C, n)), m - 1, axis=1)[:, :m], axis=1)
        return self.X[idx]


def excess_risk(params: RegressionParams, w_star: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
    """Excess risk per chain, shape (n_chains,).

    With a design ``X`` (n, d): (1/n) ||X (w - w*)||^2 (in-sample); without: ||w - w*||^2
    (the risk under x ~ N(0, I)).
    """
    e = params.weights - np.asarray(w_star)
    if X is None:
        return (e**2).sum(-1)
    return ((e @ X.T) ** 2).mean(-1)
