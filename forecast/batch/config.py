"""The batch job configuration: a TOML file validated by pydantic, with one-line errors.

A job file has five tables::

    [data]                      # exactly one source
    path = "dau.parquet"        # a CSV, Parquet or JSON file
    # glob = "data/*.parquet"   # many files
    # dataset = "ai-assistants-cn"
    # simulate = { markets = 100, n_products = 3, periods = 730, seed = 0 }
    ids = ["kimi/dau/all"]      # optional series filter: ids, a regex, a metric
    regex = "^kimi/"
    metric = "dau"
    retention = "retention.csv" # optional cohort retention for the models that use it
    covariates = "campaigns.csv" # optional covariates (ds, columns; unique_id if per series)

    [forecast]
    models = ["naive", "ets"]
    horizon = 30
    levels = [80, 95]
    holidays = "CN"             # optional: holidays=CN for every model that takes covariates
    observed = ["spend"]        # optional: covariates known only once observed (lagged)
    from_models = "previous-job/models"   # optional: start from a previous job's models
    [forecast.params.ets]       # keyword arguments of a model, by registry name
    damped = true

    [backtest]                  # optional
    windows = 3
    step = 30
    metrics = ["mase", "smape", "coverage"]

    [output]
    dir = "out"
    formats = ["parquet"]       # parquet, csv, json
    plots = false
    report = true               # report.html: the job's HTML report (see fc.report)
    models = false              # keep the fitted models in <dir>/models (see fc.load_models)

    [executor]
    kind = "local"              # local or dask
    address = ""                # a dask scheduler; empty: a LocalCluster the job starts
    workers = 2
    chunk_size = 100            # series per task
    connect_timeout = 10        # seconds to reach the dask scheduler
    [executor.security]         # optional TLS to the scheduler (distributed.security.Security)
    tls_ca_file = "ca.pem"
    tls_client_cert = "job.pem"
    tls_client_key = "job.key"
    require_encryption = true

Relative paths are resolved against the folder of the job file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from forecast.errors import ConfigError, DataError, ForecastError, UnknownModelError
from forecast.io import FORMATS, read_frame
from forecast.schema import check_levels, validate_covariates, validate_retention

__all__ = [
    "OUTPUT_FORMATS",
    "OutputFormat",
    "SimulateConfig",
    "DataConfig",
    "ForecastConfig",
    "BacktestConfig",
    "OutputConfig",
    "ExecutorConfig",
    "SecurityConfig",
    "BatchConfig",
    "load_config",
    "config_hash",
    "input_files",
    "input_paths",
]

OutputFormat = Literal["parquet", "csv", "json"]
"""A format of the combined outputs."""
OUTPUT_FORMATS: tuple[str, ...] = get_args(OutputFormat)
"""Formats of the combined outputs."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimulateConfig(_Table):
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


class DataConfig(_Table):
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


class ForecastConfig(_Table):
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
        return self


class BacktestConfig(_Table):
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


class OutputConfig(_Table):
    """``[output]``: the folder, the formats of the combined outputs, plots and report on or off.

    ``models = true`` keeps every fitted model in ``<dir>/models``, a models folder that
    ``fc.load_models``, ``forecast predict --models`` and ``[forecast] from_models`` read.
    """

    dir: str = "batch-output"
    formats: Annotated[list[OutputFormat], Field(min_length=1)] = ["parquet"]
    plots: bool = False
    report: bool = False
    models: bool = False


class SecurityConfig(_Table):
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


class ExecutorConfig(_Table):
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


class BatchConfig(_Table):
    """A job: ``[data]``, ``[forecast]``, ``[backtest]`` (optional), ``[output]``, ``[executor]``.

    Attributes
    ----------
    base_dir : str
        The folder relative paths are resolved against (the job file's folder).
    """

    data: DataConfig
    forecast: ForecastConfig
    backtest: BacktestConfig | None = None
    output: OutputConfig = OutputConfig()
    executor: ExecutorConfig = ExecutorConfig()
    base_dir: str = "."

    @model_validator(mode="after")
    def _inputs_exist(self) -> BatchConfig:
        data = self.data
        if data.path is not None and not self.resolve(data.path).is_file():
            raise ValueError(
                f"[data] path = {data.path!r}: file {str(self.resolve(data.path))!r} does not exist"
            )
        if data.glob is not None and not input_files(self):
            raise ValueError(f"[data] glob = {data.glob!r}: no file matches in {self.base_dir!r}")
        if data.dataset is not None:
            from forecast.datasets import list_datasets

            names = sorted(list_datasets()["name"])
            if data.dataset not in names:
                raise ValueError(
                    f"[data] dataset = {data.dataset!r} is not bundled; "
                    f"allowed values: {', '.join(names)}"
                )
        security = self.executor.security
        for key, value in (security.model_dump() if security else {}).items():
            if isinstance(value, str) and not self.resolve(value).is_file():
                raise ValueError(
                    f"[executor.security] {key} = {value!r}: file {str(self.resolve(value))!r} "
                    "does not exist"
                )
        previous = self.forecast.from_models
        if previous is not None and not (self.resolve(previous) / "index.json").is_file():
            raise ValueError(
                f"[forecast] from_models = {previous!r}: {str(self.resolve(previous))!r} is not a "
                "models folder (no index.json); give a previous job's '<dir>/models'"
            )
        for key, given, check in (
            ("retention", data.retention, validate_retention),
            ("covariates", data.covariates, validate_covariates),
        ):
            if given is None:
                continue
            path = self.resolve(given)
            if not path.is_file():
                raise ValueError(f"[data] {key} = {given!r}: file {str(path)!r} does not exist")
            try:
                check(read_frame(path))
            except DataError as err:
                raise ValueError(f"[data] {key} = {given!r}: {err}") from None
        return self

    def resolve(self, path: str) -> Path:
        """``path`` made absolute against :attr:`base_dir`."""
        return (Path(self.base_dir) / os.path.expanduser(path)).resolve()

    @property
    def output_dir(self) -> Path:
        """The output folder, absolute."""
        return self.resolve(self.output.dir)

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as plain JSON-able data (without ``base_dir``)."""
        return self.model_dump(mode="json", exclude={"base_dir"}, exclude_none=True)


def input_files(config: BatchConfig) -> list[Path]:
    """List the input files of a ``path`` or ``glob`` source, sorted; none for other sources."""
    data = config.data
    if data.path is not None:
        return [config.resolve(data.path)]
    if data.glob is not None:
        pattern = os.path.expanduser(data.glob)
        root = Path(config.base_dir)
        matches = (
            Path(pattern).parent.glob(Path(pattern).name)
            if Path(pattern).is_absolute()
            else root.glob(pattern)
        )
        return sorted(p.resolve() for p in matches if p.is_file() and p.suffix.lower() in FORMATS)
    return []


def input_paths(config: BatchConfig) -> list[Path]:
    """List every input file of the job.

    They are :func:`input_files`, the retention and covariates files, and the index and history of
    ``[forecast] from_models``.
    """
    data = config.data
    retention = [config.resolve(p) for p in (data.retention, data.covariates) if p is not None]
    previous = []
    if config.forecast.from_models is not None:
        folder = config.resolve(config.forecast.from_models)
        previous = [p for p in (folder / "index.json", folder / "history.parquet") if p.is_file()]
    return [*input_files(config), *retention, *previous]


def config_hash(config: BatchConfig) -> str:
    """SHA-256 of the configuration's canonical JSON (sorted keys), as hex."""
    text = json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if not isinstance(p, int))


def _one_line(err: ValidationError) -> str:
    first = err.errors()[0]
    key = _where(first["loc"])
    kind = first["type"]
    ctx = first.get("ctx") or {}
    where = f"[{key.rsplit('.', 1)[0]}] {key.rsplit('.', 1)[-1]}" if "." in key else key
    if kind == "extra_forbidden":
        table, _, name = key.rpartition(".")
        model: type[BaseModel] | None = _MODEL_OF.get(table) or _MODEL_OF.get(
            table.split(".")[0], BatchConfig
        )
        if table.startswith("forecast.params"):
            model = None
        allowed = ", ".join(k for k in model.model_fields if k != "base_dir") if model else ""
        place = f"[{table}]" if table else "the job file"
        return f"unknown key {name!r} in {place}; allowed keys: {allowed}."
    if kind == "missing":
        return f"missing key {where}; it is required."
    if kind == "literal_error":
        return (
            f"{where} = {first['input']!r} is not allowed; allowed values: {ctx.get('expected')}."
        )
    if kind in {"greater_than", "greater_than_equal"}:
        bound = ctx.get("gt", ctx.get("ge"))
        sign = ">" if kind == "greater_than" else ">="
        what = "a number" if isinstance(bound, float) else "an integer"
        return f"{where} = {first['input']!r} is not allowed; it must be {what} {sign} {bound:g}."
    message = str(first["msg"]).removeprefix("Value error, ").rstrip(".")
    if isinstance(first["input"], dict):
        return f"[{key}] {message}." if key else f"{message}."
    return f"{where}: {message} (got {first['input']!r})."


_MODEL_OF: dict[str, type[BaseModel]] = {
    "executor.security": SecurityConfig,
    "data": DataConfig,
    "forecast": ForecastConfig,
    "backtest": BacktestConfig,
    "output": OutputConfig,
    "executor": ExecutorConfig,
}


def load_config(source: str | os.PathLike[str] | dict[str, Any] | BatchConfig) -> BatchConfig:
    """Read and validate a batch job: a TOML file, a dict of its tables, or a config.

    Parameters
    ----------
    source : path, dict or BatchConfig
        A ``.toml`` job file (relative paths inside it are resolved against its folder), a
        dict with the same tables (relative paths against the current folder), or an
        already validated config (returned as is).

    Returns
    -------
    BatchConfig

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or a key is unknown, missing or out of range; the
        one-line message names the key and the allowed values.

    Examples
    --------
    >>> cfg = load_config({"data": {"dataset": "ai-assistants-cn"},
    ...                    "forecast": {"models": ["naive"], "horizon": 7}})
    >>> cfg.executor.kind, cfg.output.formats
    ('local', ['parquet'])
    """
    if isinstance(source, BatchConfig):
        return source
    if isinstance(source, dict):
        raw, base = dict(source), Path.cwd()
    else:
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"job file {str(path)!r} does not exist.")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"job file {str(path)!r} is not valid TOML: {err}.") from err
        base = path.resolve().parent
        raw["base_dir"] = str(base)
    raw.setdefault("base_dir", str(base))
    try:
        return BatchConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_one_line(err)) from None
    except ForecastError as err:
        raise ConfigError(str(err)) from None
