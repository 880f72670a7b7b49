r"""The structure of a hierarchy and the matrices of linear reconciliation.

:func:`make_hierarchy` turns ``{aggregate: [parts, ...]}`` into the summing matrix :math:`S`;
:func:`projection_matrix` gives the matrix :math:`P` of bottom-up and of the MinT methods, whose
weights :math:`W` come from :func:`weights_matrix` (the shrunk residual covariance of
:func:`shrunk_covariance` for ``mint_shrink``); :func:`top_down_factors` gives the forecast
proportions of top-down. :func:`forecast.reconcile` applies them (see
:mod:`forecast.market.reconcile`).

References
----------
.. [1] Wickramasuriya, S. L., Athanasopoulos, G. and Hyndman, R. J. (2019). Optimal forecast
   reconciliation for hierarchical and grouped time series through trace minimization. Journal
   of the American Statistical Association, 114(526), 804-819.
.. [2] Schäfer, J. and Strimmer, K. (2005). A shrinkage approach to large-scale covariance
   matrix estimation. Statistical Applications in Genetics and Molecular Biology, 4(1).
.. [3] Athanasopoulos, G., Ahmed, R. A. and Hyndman, R. J. (2009). Hierarchical forecasts for
   Australian domestic tourism. International Journal of Forecasting, 25(1), 146-166.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from forecast.errors import ConfigError, DataError, FitError
from forecast.schema import Y

__all__ = [
    "Hierarchy",
    "Method",
    "RIDGE",
    "make_hierarchy",
    "projection_matrix",
    "shrunk_covariance",
    "top_down_factors",
    "weights_matrix",
]

Method = Literal["bottom_up", "top_down", "ols", "wls_struct", "mint_shrink"]
"""A reconciliation method."""

RIDGE = 2e-8
"""Floor of the variances in the shrunk covariance (as in hierarchicalforecast)."""


@dataclass(frozen=True)
class Hierarchy:
    """The structure of a hierarchy.

    Attributes
    ----------
    nodes : tuple of str
        Every series: aggregates first (top-down, parents before children), then bottom series.
    bottom : tuple of str
        The bottom series (nobody's parent), sorted.
    summing : ndarray
        The summing matrix ``S``, shape ``(len(nodes), len(bottom))``.
    children : dict
        Each aggregate's direct parts.
    """

    nodes: tuple[str, ...]
    bottom: tuple[str, ...]
    summing: np.ndarray
    children: dict[str, tuple[str, ...]]

    @property
    def is_tree(self) -> bool:
        """True when every series has at most one parent."""
        seen = [c for parts in self.children.values() for c in parts]
        return len(seen) == len(set(seen))


def make_hierarchy(hierarchy: Mapping[str, Sequence[str]] | Hierarchy) -> Hierarchy:
    """Build the summing matrix of a hierarchy given as ``{aggregate: [parts, ...]}``.

    Parameters
    ----------
    hierarchy : mapping or Hierarchy
        Each aggregate's direct parts; parts may be aggregates themselves.

    Returns
    -------
    Hierarchy

    Raises
    ------
    ConfigError
        An aggregate without parts, a series that is its own ancestor, or an empty mapping.
    """
    if isinstance(hierarchy, Hierarchy):
        return hierarchy
    if not isinstance(hierarchy, Mapping) or not hierarchy:
        raise ConfigError(
            "a hierarchy is a non-empty mapping {aggregate: [parts, ...]}, e.g. "
            "{'kimi': ['kimi_web', 'kimi_app']}."
        )
    children: dict[str, tuple[str, ...]] = {}
    for parent, parts in hierarchy.items():
        if isinstance(parts, str) or not len(parts):
            raise ConfigError(
                f"aggregate {parent!r} needs a list of at least one part, not {parts!r}."
            )
        children[str(parent)] = tuple(dict.fromkeys(str(p) for p in parts))
    everything = set(children) | {c for parts in children.values() for c in parts}
    bottom = tuple(sorted(everything - set(children)))
    leaves: dict[str, set[str]] = {}

    def below(node: str, path: tuple[str, ...]) -> set[str]:
        if node in path:
            raise ConfigError(f"the hierarchy has a cycle: {' -> '.join(path + (node,))}.")
        if node not in children:
            return {node}
        if node not in leaves:
            leaves[node] = set().union(*(below(c, path + (node,)) for c in children[node]))
        return leaves[node]

    depth: dict[str, int] = {}

    def level(node: str) -> int:
        parents = [p for p, parts in children.items() if node in parts]
        if node not in depth:
            depth[node] = 0 if not parents else 1 + max(level(p) for p in parents)
        return depth[node]

    for parent in children:
        below(parent, ())
    aggregates = sorted(children, key=lambda n: (level(n), n))
    nodes = tuple(aggregates) + bottom
    index = {b: j for j, b in enumerate(bottom)}
    summing = np.zeros((len(nodes), len(bottom)))
    for i, node in enumerate(nodes):
        for leaf in leaves[node] if node in children else {node}:
            summing[i, index[leaf]] = 1.0
    return Hierarchy(nodes, bottom, summing, children)


def shrunk_covariance(residuals: np.ndarray, ridge: float = RIDGE) -> np.ndarray:
    r"""Schäfer-Strimmer shrinkage of the residual covariance towards its diagonal.

    Parameters
    ----------
    residuals : ndarray
        Shape ``(n_series, n_obs)``, no missing values.
    ridge : float
        Floor of the diagonal (the variances), which keeps ``W`` invertible.

    Returns
    -------
    ndarray
        :math:`W` with :math:`W_{ii} = \max(\hat\sigma_{ii}, \text{ridge})` and
        :math:`W_{ij} = (1 - \lambda^*) \hat\sigma_{ij}`, where :math:`\hat\sigma` is the sample
        covariance (denominator ``n - 1``) and
        :math:`\lambda^* = \sum_{i \ne j} \widehat{\mathrm{Var}}(r_{ij}) / \sum_{i \ne j} r_{ij}^2`,
        clipped to [0, 1], with :math:`r` the sample correlations (Schäfer and Strimmer, 2005).
    """
    x = np.asarray(residuals, dtype=float)
    n = x.shape[1]
    if n < 3:
        raise DataError(
            f"mint_shrink needs in-sample residuals on at least 3 dates, got {n}.", column=Y
        )
    centred = x - x.mean(axis=1, keepdims=True)
    sd = centred.std(axis=1, ddof=1)
    if np.any(sd == 0):
        raise DataError(
            "mint_shrink needs residuals that vary; a series has constant residuals.", column=Y
        )
    standard = centred / sd[:, None]
    products = standard[:, None, :] * standard[None, :, :]
    moments = products.sum(axis=2)
    squares = (products**2).sum(axis=2)
    var_r = n / (n - 1) ** 3 * (squares - moments**2 / n)
    corr = moments / (n - 1)
    off = ~np.eye(x.shape[0], dtype=bool)
    denominator = float(np.sum(corr[off] ** 2))
    lam = 1.0 if denominator == 0 else float(np.clip(np.sum(var_r[off]) / denominator, 0.0, 1.0))
    covariance = np.cov(x, ddof=1)
    shrunk = (1.0 - lam) * covariance
    shrunk[np.diag_indices_from(shrunk)] = np.maximum(np.diag(covariance), ridge)
    return shrunk


def weights_matrix(structure: Hierarchy, method: str, residuals: np.ndarray | None) -> np.ndarray:
    """Return the weights ``W`` of a MinT method (the identity for bottom-up and ``ols``).

    Parameters
    ----------
    structure : Hierarchy
        From :func:`make_hierarchy`.
    method : str
        ``"bottom_up"``, ``"ols"``, ``"wls_struct"`` or ``"mint_shrink"``.
    residuals : ndarray, optional
        In-sample residuals ``(n_series, n_obs)`` (for ``mint_shrink``).

    Returns
    -------
    ndarray
        Shape ``(n_series, n_series)``.

    Raises
    ------
    ConfigError
        ``mint_shrink`` without residuals.
    """
    s = structure.summing
    if method in ("bottom_up", "ols"):
        return np.eye(s.shape[0])
    if method == "wls_struct":
        return np.diag(s.sum(axis=1))
    if residuals is None:
        raise ConfigError(
            "method 'mint_shrink' needs in-sample residuals: pass residuals= a frame with "
            "unique_id, ds, y and yhat (fitted values) for every series, or a backtest frame."
        )
    return shrunk_covariance(residuals)


def projection_matrix(
    hierarchy: Mapping[str, Sequence[str]] | Hierarchy,
    method: Method = "bottom_up",
    residuals: np.ndarray | None = None,
) -> np.ndarray:
    """Return the matrix ``P`` (bottom series by all series) of a linear reconciliation method.

    Parameters
    ----------
    hierarchy : mapping or Hierarchy
        See :func:`make_hierarchy`.
    method : {"bottom_up", "ols", "wls_struct", "mint_shrink"}
        Top-down depends on the forecasts and has no fixed ``P``.
    residuals : ndarray, optional
        In-sample residuals ``(n_series, n_obs)`` in the order of ``Hierarchy.nodes``
        (for ``mint_shrink``).

    Returns
    -------
    ndarray
        Shape ``(n_bottom, n_series)``.
    """
    structure = make_hierarchy(hierarchy)
    s = structure.summing
    if method == "bottom_up":
        n_aggregates = s.shape[0] - s.shape[1]
        return np.hstack([np.zeros((s.shape[1], n_aggregates)), np.eye(s.shape[1])])
    if method not in ("ols", "wls_struct", "mint_shrink"):
        raise ConfigError(
            f"method must be one of bottom_up, ols, wls_struct, mint_shrink here, not {method!r}."
        )
    weights = weights_matrix(structure, method, residuals)
    try:
        w_inv_s = np.linalg.solve(weights, s)
        return np.linalg.solve(s.T @ w_inv_s, w_inv_s.T)
    except np.linalg.LinAlgError as err:
        raise FitError(
            f"reconciliation {method!r} is ill-conditioned: {err}. Use 'wls_struct' or 'ols'."
        ) from err


def top_down_factors(structure: Hierarchy, base: np.ndarray) -> np.ndarray:
    """Split the top series among all series by forecast proportions, from the top down.

    Parameters
    ----------
    structure : Hierarchy
        A strict hierarchy with one top series.
    base : ndarray
        Base forecasts, shape ``(n_series, h)`` in the order of ``structure.nodes``.

    Returns
    -------
    ndarray
        Multiples of the top series for every series at each step, shape ``(n_series, h)``.

    Raises
    ------
    ConfigError
        A series with two parents, or not exactly one top series.
    """
    if not structure.is_tree:
        raise ConfigError(
            "top_down needs a strict hierarchy: every series with at most one parent."
        )
    tops = [
        n
        for n in structure.children
        if all(n not in parts for parts in structure.children.values())
    ]
    if len(tops) != 1:
        raise ConfigError(
            f"top_down needs one top series, the hierarchy has {len(tops)} "
            f"({', '.join(map(repr, tops))})."
        )
    index = {n: i for i, n in enumerate(structure.nodes)}
    factors = np.zeros_like(base)
    factors[index[tops[0]]] = 1.0
    for parent in structure.nodes:
        if parent not in structure.children:
            continue
        parts = [index[c] for c in structure.children[parent]]
        total = base[parts].sum(axis=0)
        even = np.abs(total) < 1e-8
        for c in parts:
            share = np.where(even, 1.0 / len(parts), base[c] / np.where(even, 1.0, total))
            factors[c] = factors[index[parent]] * share
    return factors
