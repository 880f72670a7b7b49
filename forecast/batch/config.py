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
    calibrate = true            # optional: calibrated intervals and paths for every model
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
import tomllib
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
    model_validator,
)

from forecast.batch.tables import (
    OUTPUT_FORMATS,
    BacktestConfig,
    DataConfig,
    ExecutorConfig,
    ForecastConfig,
    OutputConfig,
    OutputFormat,
    SecurityConfig,
    SimulateConfig,
    Table,
)
from forecast.errors import ConfigError, DataError, ForecastError
from forecast.io import FORMATS, read_frame
from forecast.io.reader import read_covariates
from forecast.schema import validate_retention

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


class BatchConfig(Table):
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
            ("retention", data.retention, lambda p: validate_retention(read_frame(p))),
            ("covariates", data.covariates, read_covariates),  # names the file's lines
        ):
            if given is None:
                continue
            path = self.resolve(given)
            if not path.is_file():
                raise ValueError(f"[data] {key} = {given!r}: file {str(path)!r} does not exist")
            try:
                check(path)
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
