r"""Compositions and their log-ratio coordinates.

A composition is a vector of ``D`` positive parts that sum to one (the shares of ``D``
products in a market). Log-ratio coordinates map the simplex one-to-one onto real space, where
any forecasting model can work; mapping forecasts back gives shares that sum to one by
construction (Aitchison, 1986).

=========== ================================================================================
transform   definition (``x`` a composition of ``D`` parts, last axis)
=========== ================================================================================
closure     :math:`\mathcal{C}(x) = x / \sum_i x_i`
alr         :math:`\mathrm{alr}(x)_i = \log(x_i / x_r)` for :math:`i \ne r` (``r`` reference)
clr         :math:`\mathrm{clr}(x)_i = \log x_i - \frac{1}{D}\sum_j \log x_j`
ilr         :math:`\mathrm{ilr}(x) = \mathrm{clr}(x)\, V`, with ``V`` the ``D x (D-1)`` orthonormal
            Helmert basis (:func:`scipy.linalg.helmert`) of the hyperplane orthogonal to ones
=========== ================================================================================

Every array function works on the last axis, so a ``(n_paths, h, D)`` array of sample paths is
transformed in one call. Log-ratios are undefined for zero parts: the transforms raise
:class:`~forecast.errors.DomainError`, and :func:`multiplicative_replacement` replaces zeros
explicitly with a caller-chosen ``delta`` (Martín-Fernández, Barceló-Vidal and
Pawlowsky-Glahn, 2003).

References
----------
.. [1] Aitchison, J. (1986). *The Statistical Analysis of Compositional Data*. Chapman & Hall.
.. [2] Egozcue, J. J., Pawlowsky-Glahn, V., Mateu-Figueras, G. and Barceló-Vidal, C. (2003).
   Isometric logratio transformations for compositional data analysis. Mathematical Geology,
   35(3), 279-300.
.. [3] Martín-Fernández, J. A., Barceló-Vidal, C. and Pawlowsky-Glahn, V. (2003). Dealing with
   zeros and missing values in compositional data sets using nonparametric imputation.
   Mathematical Geology, 35(3), 253-278.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import helmert

from forecast.errors import ConfigError, DomainError

__all__ = [
    "closure",
    "multiplicative_replacement",
    "alr",
    "alr_inverse",
    "clr",
    "clr_inverse",
    "ilr",
    "ilr_inverse",
    "ilr_basis",
    "aitchison_distance",
]


def _as_parts(x: ArrayLike, what: str = "composition") -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] < 2:
        raise ConfigError(
            f"a {what} needs at least 2 parts on its last axis, got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise DomainError(
            f"the {what} holds NaN or infinite values; compositions need finite parts."
        )
    return arr


def closure(x: ArrayLike) -> np.ndarray:
    """Scale non-negative parts so that they sum to one along the last axis.

    Parameters
    ----------
    x : array_like
        Non-negative parts, shape ``(..., D)``.

    Returns
    -------
    ndarray
        Same shape; every composition sums to one.

    Raises
    ------
    DomainError
        A negative part, or a composition whose parts are all zero.
    """
    arr = _as_parts(x)
    if np.any(arr < 0):
        raise DomainError(
            f"{int(np.sum(arr < 0))} part(s) are negative; shares are made of non-negative parts."
        )
    total = arr.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise DomainError(
            f"{int(np.sum(total <= 0))} composition(s) have all parts zero, so their shares are "
            "undefined; remove those dates or give at least one positive part."
        )
    return arr / total


def multiplicative_replacement(x: ArrayLike, delta: float) -> np.ndarray:
    r"""Replace zero parts by ``delta`` and shrink the others so that each composition sums to one.

    Parameters
    ----------
    x : array_like
        Compositions (closed or not), shape ``(..., D)``; closed first.
    delta : float
        The value given to each zero part, in (0, 1); ``delta`` times the number of zeros of a
        composition must stay below one.

    Returns
    -------
    ndarray
        Compositions without zeros, each summing to one.

    Notes
    -----
    With :math:`Z` zero parts in a closed composition :math:`x`:

    .. math:: r_i = \delta \text{ if } x_i = 0, \quad r_i = (1 - Z\delta)\, x_i \text{ otherwise.}

    Ratios between non-zero parts are kept, which is what makes the replacement
    "multiplicative" (Martín-Fernández et al., 2003).
    """
    if not isinstance(delta, (int, float)) or isinstance(delta, bool) or not 0 < float(delta) < 1:
        raise ConfigError(f"delta must be a number in (0, 1), not {delta!r}; e.g. delta=1e-6.")
    closed = closure(x)
    zeros = closed == 0
    n_zeros = zeros.sum(axis=-1, keepdims=True)
    if np.any(n_zeros * delta >= 1):
        raise ConfigError(
            f"delta={delta!r} is too large for compositions with {int(n_zeros.max())} zero parts."
        )
    return np.where(zeros, float(delta), closed * (1.0 - n_zeros * float(delta)))


def _check_positive(arr: np.ndarray, transform: str) -> None:
    if np.any(arr <= 0):
        raise DomainError(
            f"{transform} needs positive parts, but {int(np.sum(arr <= 0))} part(s) are zero or "
            "negative. Replace zeros explicitly with multiplicative_replacement(x, delta) (or "
            "pass delta=... to fc.shares) or leave out the product that has no users."
        )


def alr(x: ArrayLike, reference: int = -1) -> np.ndarray:
    """Additive log-ratio coordinates: ``log(x_i / x_reference)`` for every other part.

    Parameters
    ----------
    x : array_like
        Positive compositions, shape ``(..., D)``.
    reference : int
        Index of the reference part (the last by default).

    Returns
    -------
    ndarray
        Shape ``(..., D - 1)``.
    """
    arr = _as_parts(x)
    _check_positive(arr, "alr")
    dim = arr.shape[-1]
    ref = _reference_index(reference, dim)
    logs = np.log(arr)
    return np.delete(logs, ref, axis=-1) - logs[..., ref : ref + 1]


def alr_inverse(z: ArrayLike, reference: int = -1) -> np.ndarray:
    """Compositions from additive log-ratio coordinates (the inverse of :func:`alr`).

    Parameters
    ----------
    z : array_like
        Coordinates, shape ``(..., D - 1)``.
    reference : int
        Index of the reference part in the ``D``-part composition.

    Returns
    -------
    ndarray
        Shape ``(..., D)``; every composition sums to one.
    """
    arr = np.asarray(z, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] < 1:
        raise ConfigError(
            f"alr coordinates need at least one value on the last axis, got shape {arr.shape}."
        )
    dim = arr.shape[-1] + 1
    ref = _reference_index(reference, dim)
    full = np.insert(arr, ref, 0.0, axis=-1)
    return _softmax(full)


def clr(x: ArrayLike) -> np.ndarray:
    """Centred log-ratio coordinates: ``log x_i`` minus the mean of the logs (sum zero)."""
    arr = _as_parts(x)
    _check_positive(arr, "clr")
    logs = np.log(arr)
    return logs - logs.mean(axis=-1, keepdims=True)


def clr_inverse(z: ArrayLike) -> np.ndarray:
    """Compositions from centred log-ratio coordinates (the inverse of :func:`clr`)."""
    return _softmax(np.asarray(z, dtype=float))


def ilr_basis(dim: int) -> np.ndarray:
    """Return the ``D x (D - 1)`` orthonormal basis of :func:`ilr`, the transposed Helmert matrix.

    Its columns are orthonormal and orthogonal to the vector of ones.
    """
    if isinstance(dim, bool) or int(dim) < 2:
        raise ConfigError(f"a composition has at least 2 parts, not {dim!r}.")
    return helmert(int(dim), full=False).T


def ilr(x: ArrayLike) -> np.ndarray:
    """Isometric log-ratio coordinates: ``clr(x) @ ilr_basis(D)``, shape ``(..., D - 1)``."""
    arr = _as_parts(x)
    return clr(arr) @ ilr_basis(arr.shape[-1])


def ilr_inverse(z: ArrayLike) -> np.ndarray:
    """Compositions from isometric log-ratio coordinates (the inverse of :func:`ilr`)."""
    arr = np.asarray(z, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] < 1:
        raise ConfigError(
            f"ilr coordinates need at least one value on the last axis, got shape {arr.shape}."
        )
    return _softmax(arr @ ilr_basis(arr.shape[-1] + 1).T)


def aitchison_distance(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    r"""Aitchison distance between compositions: the norm of the difference of their clr.

    The distance is :math:`\lVert \mathrm{clr}(x) - \mathrm{clr}(y) \rVert_2`.

    Parameters
    ----------
    x, y : array_like
        Positive compositions of the same number of parts, broadcastable, shape ``(..., D)``.

    Returns
    -------
    ndarray or float
        One distance per composition (the last axis is reduced).

    Raises
    ------
    DomainError
        A zero or negative part (the distance is undefined; replace zeros first).
    """
    return np.linalg.norm(clr(x) - clr(y), axis=-1)


def _reference_index(reference: int, dim: int) -> int:
    if (
        isinstance(reference, bool)
        or not isinstance(reference, (int, np.integer))
        or not -dim <= reference < dim
    ):
        raise ConfigError(
            f"reference must be a part index in [{-dim}, {dim - 1}], not {reference!r}."
        )
    return int(reference) % dim


def _softmax(logs: np.ndarray) -> np.ndarray:
    shifted = np.exp(logs - logs.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
