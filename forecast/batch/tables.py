"""The tables of a batch job file, each a frozen pydantic model that refuses unknown keys.

:class:`forecast.batch.config.BatchConfig` holds one of each; :mod:`forecast.batch.config`
describes the job file and reads it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from forecast.errors import ConfigError, UnknownModelError
from forecast.io import FORMATS
from forecast.schema import check_levels

__all__ = [
    "Table",
    "OUTPUT_FORMATS",
    "OutputFormat",
    "SimulateConfig",
    "DataConfig",
    "ForecastConfig",
    "BacktestConfig",
    "OutputConfig",
    "ExecutorConfig",
    "SecurityConfig",
]


OutputFormat = Literal["parquet", "csv", "json"]
"""A format of the combined outputs."""
OUTPUT_FORMATS: tuple[str, ...] = get_args(OutputFormat)
"""Formats of the combined outputs."""


class Table(BaseModel):
    """A table of the job file: frozen, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SimulateConfig(Table):
    """``[data] simulate = {...}``: markets drawn by :func:`forecast.datasets.simulate_market`.

    Attributes
    ----------
    markets : int
        Independent markets to simulate; market ``k`` is drawn with a seed derived from
        (``seed``, ``k``), so every series is the same whatever the chunk size, and its
        ``unique_id`` starts with ``m<k>/`` (``m00012/product_a/dau/all``).
    seed : int
        The job's seed.
    options : dict
        Every other key is passed to ``simulate_market`` (``n_products``, ``periods``, ``freq``,
        ...).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    markets: Annotated[int, Field(gt=0)] = 1
    seed: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _markets_are_ours(self) -> SimulateConfig:
        if "n_markets" in (self.model_extra or {}):
            raise ValueError("give the number of markets as markets, not n_markets")
        return self

    @property
    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``simulate_market`` other than the seed."""
        return dict(self.model_extra or {})


class DataConfig(Table):
    """``[data]``: one source, a series filter and an optional cohort ``retention`` file.

    The source is one of ``path``, ``glob``, ``dataset`` or ``simulate``; the retention file is
    passed to ``fc.forecast`` and ``fc.backtest`` (which give each backtest window only the
    retention rows known by its cutoff).
    """

    path: str | None = None
    glob: str | None = None
    dataset: str | None = None
    simulate: SimulateConfig | None = None
    ids: list[str] | None = None
    regex: str | None = None
    metric: str | None = None
    retention: str | None = None
    covariates: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataConfig:
        given = [k for k in ("path", "glob", "dataset", "simulate") if getattr(self, k) is not None]
        if len(given) != 1:
            what = "none" if not given else ", ".join(given)
            raise ValueError(f"give exactly one of path, glob, dataset, simulate (got {what})")
        return self

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as err:
                raise ValueError(f"not a valid regular expression: {err}") from None
        return value

    @field_validator("path", "glob", "retention", "covariates")
    @classmethod
    def _known_extension(cls, value: str | None) -> str | None:
        if value is not None and Path(value).suffix.lower() not in FORMATS:
            raise ValueError(f"the file extension must be one of {', '.join(sorted(FORMATS))}")
        return value


class ForecastConfig(Table):
    """``[forecast]``: registry names of the models, horizon, levels and per-model parameters."""

    models: Annotated[list[str], Field(min_length=1)]
    horizon: Annotated[int, Field(gt=0)]
    levels: list[float] = [80.0, 95.0]
    params: dict[str, dict[str, Any]] = {}
    holidays: str | None = None
    observed: list[str] = []
    from_models: str | None = None
    """A models folder (a previous job's ``<dir>/models``) to start from: each saved model is
    updated with the new rows, refit when the data rewrite its history; missing ones are fit."""
    calibrate: bool | Literal["conformal", "scaled", "auto", "off"] | None = None
    """Calibrate every model's intervals and paths on its own inner backtests, as
    ``fc.forecast(calibrate=...)`` does; a model whose ``[forecast.params.<model>]`` sets
    ``calibrate`` keeps it. None (absent): each model's own setting. Not with ``from_models``
    (saved models keep their own)."""

    @field_validator("calibrate", mode="before")
    @classmethod
    def _calibrate(cls, value: object) -> object:
        from forecast.engine.calibrate import check_calibrate

        try:
            return check_calibrate(value)
        except ConfigError:
            raise ValueError(
                "it must be true, false, 'conformal', 'scaled', 'auto' or 'off'"
            ) from None

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: list[str]) -> list[str]:
        from forecast.models.registry import get

        for name in value:
            try:
                get(name)
            except UnknownModelError as err:
                raise ValueError(str(err)) from None
        if len(set(value)) != len(value):
            raise ValueError("a model is listed twice")
        return value

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[float]) -> list[float]:
        return list(check_levels(value))

    @model_validator(mode="after")
    def _params_of_listed_models(self) -> ForecastConfig:
        from forecast.models.registry import get

        for name, params in self.params.items():
            if name not in self.models:
                raise ValueError(
                    f"params.{name}: parameters given for a model not in models {self.models}"
                )
            try:
                get(name, **params)
            except ConfigError as err:
                raise ValueError(f"params.{name}: {err}") from None
        if self.holidays is not None:
            from forecast.engine.covariates import check_holidays

            for name in self.models:
                try:
                    check_holidays(name, self.holidays, "holidays =")
                except ConfigError as err:
                    raise ValueError(str(err)) from None
        if self.calibrate is not None and self.from_models is not None:
            raise ValueError(
                "calibrate and from_models cannot be combined: the saved models keep the "
                "calibrate they were fitted with; drop from_models to fit every model with "
                "this calibrate, or drop calibrate"
            )
        return self


class BacktestConfig(Table):
    """``[backtest]``: rolling-origin windows, their step (default: the horizon), the metrics."""

    windows: Annotated[int, Field(gt=0)]
    step: Annotated[int, Field(gt=0)] | None = None
    metrics: list[str] | None = None

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, value: list[str] | None) -> list[str] | None:
        from forecast.evaluation.metrics import METRICS

        unknown = [name for name in value or [] if name not in METRICS]
        if unknown:
            raise ValueError(f"unknown metric {unknown[0]!r}; allowed values: {', '.join(METRICS)}")
        return value


class OutputConfig(Table):
    """``[output]``: the folder, the formats of the combined outputs, plots and report on or off.

    ``models = true`` keeps every fitted model in ``<dir>/models``, a models folder that
    ``fc.load_models``, ``forecast predict --models`` and ``[forecast] from_models`` read.
    """

    dir: str = "batch-output"
    formats: Annotated[list[OutputFormat], Field(min_length=1)] = ["parquet"]
    plots: bool = False
    report: bool = False
    models: bool = False


class SecurityConfig(Table):
    """``[executor.security]``: TLS of the connection to a Dask scheduler.

    The keys are those of Dask's ``distributed.security.Security`` (see the Dask documentation,
    "TLS/SSL"); file paths are resolved against the job file's folder and must exist.

    Attributes
    ----------
    tls_ca_file : str, optional
        The certificate authority that signed the scheduler's and workers' certificates.
    tls_client_cert, tls_client_key : str, optional
        This job's certificate and private key (authentication to the cluster).
    require_encryption : bool
        Refuse any connection that is not TLS.
    """

    tls_ca_file: str | None = None
    tls_client_cert: str | None = None
    tls_client_key: str | None = None
    require_encryption: bool = False


class ExecutorConfig(Table):
    """``[executor]``: where chunks run, how many series each holds, and how to reach Dask."""

    kind: Literal["local", "dask"] = "local"
    address: str | None = None
    workers: Annotated[int, Field(gt=0)] | None = None
    chunk_size: Annotated[int, Field(gt=0)] = 100
    connect_timeout: Annotated[float, Field(gt=0.0)] = 10.0
    security: SecurityConfig | None = None

    @model_validator(mode="after")
    def _address_needs_dask(self) -> ExecutorConfig:
        if self.address and self.kind != "dask":
            raise ValueError("address is only used with kind = 'dask'")
        if self.security is not None and not self.address:
            raise ValueError("security is only used with kind = 'dask' and an address")
        return self
