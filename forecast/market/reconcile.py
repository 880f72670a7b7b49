r"""Coherent forecasts of hierarchies: channels under a product, products under a market.

A hierarchy is a mapping from each aggregate to its parts, for example
``{"kimi": ["kimi_web", "kimi_app", "kimi_mini"], "market": ["kimi", "wenxin_yiyan"]}``: the
series that are nobody's parent are the bottom level, and each aggregate is the sum of the bottom
series below it. With :math:`S` the summing matrix (one row per series, aggregates first, one
column per bottom series) and :math:`\hat y_h` the base forecasts of every series at step
:math:`h`, the reconciled forecasts are

.. math:: \tilde y_h = S P \hat y_h

and they are coherent: every aggregate equals the sum of its parts.

============== ================================================================================
method         :math:`P`
============== ================================================================================
bottom_up      picks the bottom forecasts: :math:`P = [0 \mid I]`
top_down       forecast proportions (Athanasopoulos, Ahmed and Hyndman, 2009): each parent's
               reconciled forecast is split among its children in proportion to their base
               forecasts, from the top down, at every step
ols            :math:`P = (S^\top S)^{-1} S^\top`, MinT with :math:`W = I`
wls_struct     MinT with :math:`W = \mathrm{diag}(S 1)`, the number of bottom series in each
mint_shrink    MinT with :math:`W` the Schäfer-Strimmer shrinkage of the in-sample residual
               covariance towards its diagonal (variances floored at 2e-8)
============== ================================================================================

MinT (Wickramasuriya, Athanasopoulos and Hyndman, 2019) is
:math:`P = (S^\top W^{-1} S)^{-1} S^\top W^{-1}`.

Intervals
---------
When the base forecasts have intervals, each series' base standard deviation at step :math:`h`
is :math:`\hat\sigma_h = (hi - lo) / (2 z_L)`, averaged over the levels :math:`L` given. For the
MinT methods and bottom-up, the base errors are taken as normal with correlation
:math:`R = \mathrm{corr}(W)` (:math:`W = I` for bottom-up), so the reconciled covariance is
:math:`S P (R \circ \hat\sigma_h \hat\sigma_h^\top) P^\top S^\top` and each reconciled interval is
:math:`\tilde y \pm z_L \tilde\sigma` (the "normality" method of Panagiotelis et al., 2023, as in
Nixtla's hierarchicalforecast). For top-down every series is a fixed multiple of the top
series at each step, so its interval bounds are the top series' base bounds times that
multiple.

In-sample residuals for ``mint_shrink``
---------------------------------------
Pass ``residuals=``: a frame with ``unique_id``, ``ds``, ``y`` and ``yhat`` (in-sample fitted
values) for every series of the hierarchy, for example the output of ``fc.backtest`` (then
rows are keyed by ``cutoff`` and ``ds``, and a ``model`` column selects the rows of each model).
The residual of a series is ``y - yhat``; every series needs a residual at every key.

References
----------
.. [1] Wickramasuriya, S. L., Athanasopoulos, G. and Hyndman, R. J. (2019). Optimal forecast
   reconciliation for hierarchical and grouped time series through trace minimization. Journal
   of the American Statistical Association, 114(526), 804-819.
.. [2] Schäfer, J. and Strimmer, K. (2005). A shrinkage approach to large-scale covariance
   matrix estimation. Statistical Applications in Genetics and Molecular Biology, 4(1).
.. [3] Athanasopoulos, G., Ahmed, R. A. and Hyndman, R. J. (2009). Hierarchical forecasts for
   Australian domestic tourism. International Journal of Forecasting, 25(1), 146-166.
.. [4] Panagiotelis, A., Gamakumara, P., Athanasopoulos, G. and Hyndman, R. J. (2023).
   Probabilistic forecast reconciliation. European Journal of Operational Research, 306(2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from forecast.errors import ConfigError, DataError, SchemaError, format_rows
from forecast.market.hierarchy import (
    Hierarchy,
    Method,
    make_hierarchy,
    projection_matrix,
    shrunk_covariance,
    top_down_factors,
    weights_matrix,
)
from forecast.schema import (
    CUTOFF,
    DS,
    MODEL,
    UNIQUE_ID,
    YHAT,
    Y,
    level_column,
    parse_level_column,
)

__all__ = [
    "Hierarchy",
    "make_hierarchy",
    "reconcile",
    "projection_matrix",
    "shrunk_covariance",
    "METHODS",
]

METHODS: tuple[str, ...] = ("bottom_up", "top_down", "ols", "wls_struct", "mint_shrink")
"""The reconciliation methods, as accepted by :func:`reconcile`."""


def _residual_matrix(residuals: pd.DataFrame, structure: Hierarchy, model: str) -> np.ndarray:
    needed = [UNIQUE_ID, DS, Y, YHAT]
    missing = [c for c in needed if c not in residuals.columns]
    if missing:
        raise SchemaError(
            f"the residuals frame lacks column(s) {', '.join(map(repr, missing))}; it needs "
            "unique_id, ds, y and yhat (in-sample fitted values), as a backtest frame has.",
            column=missing[0],
        )
    rows = residuals
    if MODEL in rows.columns:
        rows = rows[rows[MODEL] == model]
        if rows.empty:
            raise DataError(f"the residuals frame has no rows for model {model!r}.", column=MODEL)
    keys = [CUTOFF, DS] if CUTOFF in rows.columns else [DS]
    wide = (rows[Y] - rows[YHAT]).to_frame("residual").join(rows[keys + [UNIQUE_ID]])
    table = wide.pivot_table(index=keys, columns=UNIQUE_ID, values="residual", aggfunc="first")
    absent = [n for n in structure.nodes if n not in table.columns]
    if absent:
        raise DataError(
            f"the residuals frame has no rows for series {', '.join(map(repr, absent))}.",
            series=absent[0],
            column=UNIQUE_ID,
        )
    table = table[list(structure.nodes)]
    holes = table.isna().any(axis=1)
    if holes.any():
        shown = [str(k) for k in table.index[holes]]
        raise DataError(
            f"the residuals frame lacks some series at {int(holes.sum())} key(s) "
            f"({format_rows(shown)}); every "
            "series needs a residual at every date (and cutoff).",
            column=DS,
            rows=shown,
        )
    return table.to_numpy(dtype=float).T


def _levels_of(frame: pd.DataFrame) -> list[float]:
    sides: dict[float, set[str]] = {}
    for column in frame.columns:
        parsed = parse_level_column(str(column))
        if parsed is not None:
            sides.setdefault(parsed[1], set()).add(parsed[0])
    unpaired = [lv for lv, s in sides.items() if s != {"lo", "hi"}]
    if unpaired:
        raise SchemaError(
            f"the forecast frame has interval columns without their pair at level(s) {unpaired}."
        )
    return sorted(sides)


def reconcile(
    forecasts: pd.DataFrame,
    hierarchy: Mapping[str, Sequence[str]] | Hierarchy,
    method: Method = "bottom_up",
    *,
    residuals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Make forecasts of a hierarchy coherent: every aggregate equals the sum of its parts.

    Parameters
    ----------
    forecasts : DataFrame
        A forecast frame (``unique_id``, ``model``, ``ds``, ``yhat`` and optionally
        ``yhat_lo_<L>``, ``yhat_hi_<L>``) with a base forecast of every series of the hierarchy
        on the same dates, for each model. Without ``model``, the frame is one model.
    hierarchy : mapping or Hierarchy
        ``{aggregate: [parts, ...]}``, e.g. ``{"market": ["kimi", "wenxin_yiyan"], "kimi":
        ["kimi_web", "kimi_app"]}``.
    method : {"bottom_up", "top_down", "ols", "wls_struct", "mint_shrink"}
        See the module docstring.
    residuals : DataFrame, optional
        In-sample ``y`` and ``yhat`` of every series (for ``mint_shrink``); see the module
        docstring.

    Returns
    -------
    DataFrame
        The same columns as ``forecasts``, with ``model`` set to ``"<model>/<method>"``, rows
        sorted by ``unique_id``, ``model``, ``ds``. Intervals (when given) are reconciled as
        described in the module docstring.

    Raises
    ------
    ConfigError
        An unknown method, a bad hierarchy, ``mint_shrink`` without residuals.
    DataError
        A series of the hierarchy missing from ``forecasts`` (or extra series), or series
        forecast on different dates.

    Examples
    --------
    >>> import pandas as pd
    >>> from forecast.market.reconcile import reconcile  # also fc.reconcile
    >>> base = pd.DataFrame({"unique_id": ["kimi", "kimi_web", "kimi_app"], "model": "naive",
    ...                      "ds": pd.Timestamp("2024-04-01"), "yhat": [2.4e6, 0.8e6, 1.4e6]})
    >>> out = reconcile(base, {"kimi": ["kimi_web", "kimi_app"]}, method="ols")
    >>> round(float(out.set_index("unique_id")["yhat"]["kimi"]))
    2333333
    """
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, not {method!r}.")
    structure = make_hierarchy(hierarchy)
    missing = [c for c in (UNIQUE_ID, DS, YHAT) if c not in forecasts.columns]
    if missing:
        raise SchemaError(
            f"the forecast frame lacks column(s) {', '.join(map(repr, missing))}.",
            column=missing[0],
        )
    frame = forecasts if MODEL in forecasts.columns else forecasts.assign(**{MODEL: YHAT})
    levels = _levels_of(frame)
    ids = set(map(str, frame[UNIQUE_ID].unique()))
    absent = [n for n in structure.nodes if n not in ids]
    extra = sorted(ids - set(structure.nodes))
    if absent or extra:
        raise DataError(
            "the forecasts and the hierarchy disagree: series "
            f"{format_rows([repr(a) for a in absent]) or 'none'} "
            "of the hierarchy have no forecast, and forecast series "
            f"{format_rows([repr(e) for e in extra]) or 'none'} "
            "are not in the hierarchy. Give one base forecast per series of the hierarchy.",
            series=(absent or extra)[0],
            column=UNIQUE_ID,
        )
    out = []
    for model, group in frame.groupby(MODEL, sort=True):
        res = (
            _residual_matrix(residuals, structure, str(model))
            if residuals is not None and method == "mint_shrink"
            else None
        )
        out.append(_reconcile_model(group, structure, method, levels, res, str(model)))
    result = pd.concat(out, ignore_index=True)
    result = result[[c for c in frame.columns if c in result.columns]]
    if MODEL not in forecasts.columns:
        result = result.drop(columns=MODEL)
    sort = [UNIQUE_ID, MODEL, DS] if MODEL in result.columns else [UNIQUE_ID, DS]
    return result.sort_values(sort, kind="mergesort").reset_index(drop=True)


def _reconcile_model(
    group: pd.DataFrame,
    structure: Hierarchy,
    method: Method,
    levels: list[float],
    residuals: np.ndarray | None,
    model: str,
) -> pd.DataFrame:
    dup = group.duplicated([UNIQUE_ID, DS])
    if dup.any():
        raise DataError(
            f"model {model!r} has several forecasts of one series on one date (rows "
            f"{format_rows(list(group.index[dup]))}).",
            column=DS,
        )
    wide = group.pivot(index=DS, columns=UNIQUE_ID, values=YHAT)[list(structure.nodes)]
    holes = wide.isna().any(axis=1)
    if holes.any():
        shown = [d.strftime("%Y-%m-%d") for d in wide.index[holes]]
        raise DataError(
            f"model {model!r} does not forecast every series of the hierarchy on "
            f"{format_rows(shown)}; give "
            "every series forecasts on the same dates.",
            column=DS,
            rows=shown,
        )
    base = wide.to_numpy(dtype=float).T
    s = structure.summing
    sigma = None
    if levels:
        estimates = []
        for level in levels:
            lo = group.pivot(index=DS, columns=UNIQUE_ID, values=level_column(level, "lo"))[
                list(structure.nodes)
            ]
            hi = group.pivot(index=DS, columns=UNIQUE_ID, values=level_column(level, "hi"))[
                list(structure.nodes)
            ]
            z = stats.norm.ppf(0.5 + level / 200.0)
            estimates.append((hi.to_numpy(dtype=float) - lo.to_numpy(dtype=float)).T / (2.0 * z))
        sigma = np.maximum(np.mean(estimates, axis=0), 0.0)
    result = pd.DataFrame(
        {
            UNIQUE_ID: np.repeat(structure.nodes, len(wide)),
            DS: np.tile(wide.index, len(structure.nodes)),
        }
    )
    result[MODEL] = f"{model}/{method}"
    if method == "top_down":
        factors = top_down_factors(structure, base)
        top = int(np.argmax(s.sum(axis=1)))
        result[YHAT] = (factors * base[top]).ravel()
        for level in levels:
            for side in ("lo", "hi"):
                bound = group.pivot(index=DS, columns=UNIQUE_ID, values=level_column(level, side))[
                    structure.nodes[top]
                ]
                result[level_column(level, side)] = (factors * bound.to_numpy(dtype=float)).ravel()
        return result
    p = projection_matrix(structure, method, residuals)
    sp = s @ p
    result[YHAT] = (sp @ base).ravel()
    if sigma is not None:
        weights = weights_matrix(structure, method, residuals)
        d = np.sqrt(np.diag(weights))
        corr = weights / np.outer(d, d)
        sd = np.empty_like(base)
        for t in range(base.shape[1]):
            cov = sp @ (corr * np.outer(sigma[:, t], sigma[:, t])) @ sp.T
            sd[:, t] = np.sqrt(np.maximum(np.diag(cov), 0.0))
        for level in levels:
            z = stats.norm.ppf(0.5 + level / 200.0)
            result[level_column(level, "lo")] = (sp @ base - z * sd).ravel()
            result[level_column(level, "hi")] = (sp @ base + z * sd).ravel()
    return result
