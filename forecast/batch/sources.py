"""Where a batch job's series come from, cut into chunks that each task loads on its own.

:func:`plan_chunks` lists the series of the ``[data]`` source (reading only the ``unique_id``
column where the format allows), applies the series filter, sorts the names and cuts them into
chunks of ``chunk_size`` series. Each :class:`ChunkSpec` is small and picklable; a worker calls
:func:`load_chunk` on it to get the chunk's rows and nothing more:

- Parquet files are read with a pyarrow filter on ``unique_id``, so a task holds its own
  series only;
- a glob of files: each task reads only the files that hold its series (one file per chunk
  group when each file holds whole series);
- a single CSV or JSON file, and a bundled dataset, are read once by the job and each chunk's
  rows are sent to its task (CSV and JSON cannot be read in parts by series: convert a large
  file to Parquet to bound the job's memory);
- the simulator draws market ``k`` from a seed derived from (``seed``, ``k``) alone, so a
  series is the same whatever the chunk size; a chunk holds whole markets
  (``chunk_size`` is rounded down to a multiple of the series per market, at least one market).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.batch.config import BatchConfig, SimulateConfig, input_files
from forecast.errors import ConfigError, CovariateError, DataError, SchemaError, format_rows
from forecast.io import read_frame
from forecast.schema import METRIC, UNIQUE_ID, ValidCovariates, metric_of

__all__ = [
    "ChunkSpec",
    "plan_chunks",
    "load_chunk",
    "load_covariates",
    "market_seed",
    "market_prefix",
]


@dataclass(frozen=True)
class ChunkSpec:
    """What one task needs to load its series.

    Attributes
    ----------
    index : int
        Position of the chunk (0, 1, ...); chunk files are named after it.
    ids : tuple of str
        The chunk's series, sorted.
    files : tuple of str
        Files to read (``path`` or ``glob`` sources read by the task).
    frame : DataFrame or None
        The chunk's rows, for sources read once by the job.
    markets : tuple of int
        Markets to simulate (``simulate`` sources).
    simulate : dict
        Keyword arguments of ``simulate_market`` other than the seed.
    seed : int
        The job's simulation seed.
    n_markets : int
        Markets in the whole job (sets the width of the ``m<k>/`` prefix).
    """

    index: int
    ids: tuple[str, ...]
    files: tuple[str, ...] = ()
    frame: pd.DataFrame | None = None
    markets: tuple[int, ...] = ()
    simulate: dict[str, object] = field(default_factory=dict)
    seed: int = 0
    n_markets: int = 0

    @property
    def name(self) -> str:
        """``chunk-00003``: the stem of the chunk's files."""
        return f"chunk-{self.index:05d}"


def market_seed(seed: int, market: int) -> int:
    """Seed of simulated market ``market``, from (``seed``, ``market``) by numpy's SeedSequence."""
    return int(np.random.SeedSequence([seed, market]).generate_state(1)[0])


def market_prefix(market: int, n_markets: int) -> str:
    """``m00012/``: the prefix of the ``unique_id`` of every series of a simulated market."""
    width = max(5, len(str(max(n_markets - 1, 0))))
    return f"m{market:0{width}d}/"


def _simulate_market(
    options: dict[str, object], seed: int, market: int, n_markets: int
) -> pd.DataFrame:
    """One market of the simulator, its series renamed ``m<k>/<product>/dau/<channel>``."""
    from forecast.datasets import simulate_market

    try:
        series = simulate_market(seed=seed, n_markets=1, **options).series  # type: ignore[arg-type]
    except TypeError as err:
        raise ConfigError(
            f"[data] simulate: {err}; see help(forecast.datasets.simulate_market)."
        ) from err
    name = market_prefix(market, n_markets)
    local = series[UNIQUE_ID].astype(str).str.split("/", n=1).str[1]
    out = series.assign(**{UNIQUE_ID: name + local})
    if "market" in out.columns:
        out["market"] = name.rstrip("/")
    return out


def _simulated(spec: ChunkSpec) -> pd.DataFrame:
    frames = [
        _simulate_market(spec.simulate, market_seed(spec.seed, market), market, spec.n_markets)
        for market in spec.markets
    ]
    return pd.concat(frames, ignore_index=True)


def _parquet_filter(path: Path, ids: list[str]) -> object:
    """Build a pyarrow filter keeping the rows of ``ids``, whatever the type of ``unique_id``.

    A string column gets the range as well (it lets Parquet skip row groups by their statistics,
    where an ``in`` filter alone reads the ``unique_id`` column of every row group, so a chunk
    of a file sorted by ``unique_id`` costs the memory of its own rows). Another type (integer
    ids) is compared as text, like the job's listing of the series.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    column = pq.read_schema(path).field(UNIQUE_ID).type
    if pa.types.is_string(column) or pa.types.is_large_string(column):
        filters: list[tuple[str, str, object]] = [(UNIQUE_ID, "in", ids)]
        if ids:
            filters += [(UNIQUE_ID, ">=", min(ids)), (UNIQUE_ID, "<=", max(ids))]
        return filters
    return pc.field(UNIQUE_ID).cast(pa.string()).isin(ids)


def _read_ids(path: Path, ids: list[str] | None) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            filters = None if ids is None else _parquet_filter(path, ids)
            return pq.read_table(path, filters=filters).to_pandas()
        except (OSError, ValueError, KeyError, pa.ArrowException) as err:
            raise SchemaError(
                f"file {str(path)!r} could not be read as parquet: {err}", column=UNIQUE_ID
            ) from err
    frame = read_frame(path)
    if UNIQUE_ID not in frame.columns:
        raise SchemaError(
            f"file {str(path)!r} has no column {UNIQUE_ID!r}; every row must name its series."
        )
    return frame if ids is None else frame[frame[UNIQUE_ID].astype(str).isin(ids)]


def load_chunk(spec: ChunkSpec) -> pd.DataFrame:
    """Load the rows of the chunk's series, in the order they were stored.

    Parameters
    ----------
    spec : ChunkSpec
        A chunk made by :func:`plan_chunks`.

    Returns
    -------
    DataFrame
        Every row whose ``unique_id`` is in ``spec.ids`` (not yet validated).
    """
    if spec.frame is not None:
        return spec.frame
    if spec.markets:
        frame = _simulated(spec)
    else:
        ids = list(spec.ids)
        frame = pd.concat([_read_ids(Path(f), ids) for f in spec.files], ignore_index=True)
    keep = frame[UNIQUE_ID].astype(str).isin(spec.ids)
    return frame[keep].reset_index(drop=True)


def load_covariates(config: BatchConfig, ids: list[str]) -> ValidCovariates | None:
    """Read ``[data] covariates`` by :func:`forecast.io.reader.read_covariates`, for ``ids``.

    A per-series file keeps the rows of ``ids`` (the plan checked that every other row names a
    series of the data); a shared file keeps all rows. The frame names its file, so a value a
    series lacks is reported with the file's lines.

    Parameters
    ----------
    config : BatchConfig
        The job.
    ids : list of str
        The series of a chunk.

    Returns
    -------
    ValidCovariates or None
        None without ``[data] covariates``.

    Raises
    ------
    DataError
        The file breaks the covariates contract (text in a covariate column, the same date
        twice), naming its lines.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 7.4 (predictors known in advance).
    """
    from forecast.io.reader import read_covariates

    if config.data.covariates is None:
        return None
    covariates = read_covariates(config.resolve(config.data.covariates))
    if covariates.shared:
        return covariates
    frame = covariates.frame
    return replace(covariates, frame=frame[frame[UNIQUE_ID].isin(ids)])


def _check_covariate_ids(config: BatchConfig, index: pd.DataFrame) -> None:
    """Refuse rows of ``[data] covariates`` naming series the data lack, with the file's lines.

    Rows of series the job's filter leaves out are kept (the file may cover all the data).
    """
    from forecast.io.reader import read_covariates

    if config.data.covariates is None:
        return
    covariates = read_covariates(config.resolve(config.data.covariates))
    if covariates.shared:
        return
    frame = covariates.frame
    unknown = ~frame[UNIQUE_ID].isin(set(index[UNIQUE_ID]))
    if unknown.any():
        rows = list(frame.index[unknown.to_numpy()])
        extra = sorted(set(frame.loc[unknown, UNIQUE_ID]))
        word = covariates.unit if len(rows) == 1 else f"{covariates.unit}s"
        raise CovariateError(
            f"{covariates.source}: [data] covariates names series the data lack: "
            f"{format_rows(list(map(repr, extra)))} ({word} {format_rows(rows)}). Check the "
            "ids, or remove those rows.",
            series=extra[0],
            column=UNIQUE_ID,
            rows=rows,
        )


_BATCH_ROWS = 1 << 18
"""Rows read at a time when listing the series of a file."""


def _index(frame: pd.DataFrame) -> pd.DataFrame:
    """Distinct (unique_id, metric) pairs of a frame."""
    if UNIQUE_ID not in frame.columns:
        raise SchemaError(
            f"the data have no column {UNIQUE_ID!r} "
            f"(columns: {', '.join(map(str, frame.columns))})."
        )
    out = pd.DataFrame({UNIQUE_ID: frame[UNIQUE_ID].astype(str), METRIC: metric_of(frame)})
    return out.drop_duplicates()


def _file_index(path: Path) -> pd.DataFrame:
    """Distinct (unique_id, metric) pairs of a file, read in batches so memory stays bounded."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(path)
            columns = [c for c in (UNIQUE_ID, METRIC) if c in parquet.schema_arrow.names]
            parts = [
                _index(pa.Table.from_batches([batch]).group_by(columns).aggregate([]).to_pandas())
                for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns)
            ]
        except (OSError, ValueError) as err:
            raise SchemaError(f"file {str(path)!r} could not be read as parquet: {err}") from err
    elif suffix == ".csv":
        try:
            head = pd.read_csv(path, nrows=0).columns
            columns = [c for c in (UNIQUE_ID, METRIC) if c in head]
            with pd.read_csv(path, usecols=columns, chunksize=_BATCH_ROWS) as reader:
                parts = [_index(batch) for batch in reader]
        except (ValueError, OSError) as err:
            raise SchemaError(f"file {str(path)!r} could not be read as csv: {err}") from err
    else:
        parts = [_index(read_frame(path))]
    if not parts:
        raise SchemaError(f"file {str(path)!r} holds no rows.")
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def _select(index: pd.DataFrame, config: BatchConfig) -> list[str]:
    """Apply the ``[data]`` filter to the data's series, after checking the covariates' ids."""
    _check_covariate_ids(config, index)
    data = config.data
    keep = pd.Series(True, index=index.index)
    if data.ids is not None:
        missing = sorted(set(data.ids) - set(index[UNIQUE_ID]))
        if missing:
            raise DataError(
                "[data] ids names series that are not in the data: "
                f"{', '.join(map(repr, missing[:5]))}{' and more' if len(missing) > 5 else ''}. "
                "Check the names or remove them from ids.",
                series=missing[0],
                column=UNIQUE_ID,
            )
        keep &= index[UNIQUE_ID].isin(data.ids)
    if data.regex is not None:
        keep &= index[UNIQUE_ID].str.contains(re.compile(data.regex), regex=True)
    if data.metric is not None:
        keep &= index[METRIC] == data.metric
    ids = sorted(set(index.loc[keep, UNIQUE_ID]))
    if not ids:
        raise DataError(
            "no series is left after the [data] filter (ids, regex, metric); loosen it.",
            column=UNIQUE_ID,
        )
    return ids


def _cut(ids: list[str], size: int) -> list[tuple[str, ...]]:
    return [tuple(ids[i : i + size]) for i in range(0, len(ids), size)]


def _plan_simulate(config: BatchConfig, sim: SimulateConfig) -> list[ChunkSpec]:
    n = sim.markets
    first = _index(_simulate_market(sim.options, market_seed(sim.seed, 0), 0, n))
    local = first[UNIQUE_ID].str.removeprefix(market_prefix(0, n))
    index = pd.concat(
        [first.assign(**{UNIQUE_ID: market_prefix(k, n) + local}) for k in range(n)],
        ignore_index=True,
    )
    selected = set(_select(index, config))
    markets_per_chunk = max(1, config.executor.chunk_size // max(len(first), 1))
    chunks: list[ChunkSpec] = []
    for start in range(0, n, markets_per_chunk):
        markets = tuple(range(start, min(start + markets_per_chunk, n)))
        ids = tuple(
            sorted(uid for k in markets for uid in market_prefix(k, n) + local if uid in selected)
        )
        if ids:
            chunks.append(
                ChunkSpec(
                    len(chunks),
                    ids,
                    markets=markets,
                    simulate=sim.options,
                    seed=sim.seed,
                    n_markets=n,
                )
            )
    return chunks


def plan_chunks(config: BatchConfig) -> list[ChunkSpec]:
    """List and filter the job's series and cut them into chunks.

    Parameters
    ----------
    config : BatchConfig
        A validated job.

    Returns
    -------
    list of ChunkSpec
        Chunks of ``executor.chunk_size`` series (sorted by ``unique_id``); the same config
        and data always give the same chunks.

    Raises
    ------
    DataError
        A file cannot be read, lacks ``unique_id``, or the filter leaves no series; the
        ``[data] covariates`` file breaks the covariates contract or names series the data
        lack (:class:`~forecast.errors.CovariateError`, naming the file's lines).
    ConfigError
        The simulator rejects its arguments.
    """
    data = config.data
    size = config.executor.chunk_size
    if data.simulate is not None:
        return _plan_simulate(config, data.simulate)
    if data.dataset is not None:
        from forecast.datasets import load

        frame = load(data.dataset).series
        return _in_memory(frame, _select(_index(frame), config), size)
    files = input_files(config)
    if len(files) == 1 and files[0].suffix.lower() in (".csv", ".json"):
        frame = read_frame(files[0])
        return _in_memory(frame, _select(_index(frame), config), size)
    indexes = {f: _file_index(f) for f in files}
    ids = _select(pd.concat(indexes.values(), ignore_index=True), config)
    holders: dict[str, list[str]] = {}
    for path, index in indexes.items():
        for uid in index[UNIQUE_ID].unique():
            holders.setdefault(uid, []).append(str(path))
    chunks: list[ChunkSpec] = []
    for number, chunk_ids in enumerate(_cut(ids, size)):
        chunk_files = sorted({f for uid in chunk_ids for f in holders[uid]})
        chunks.append(ChunkSpec(number, chunk_ids, files=tuple(chunk_files)))
    return chunks


def _in_memory(frame: pd.DataFrame, ids: list[str], size: int) -> list[ChunkSpec]:
    uid = frame[UNIQUE_ID].astype(str)
    chunks: list[ChunkSpec] = []
    for number, chunk_ids in enumerate(_cut(ids, size)):
        rows = frame[uid.isin(chunk_ids)].reset_index(drop=True)
        chunks.append(ChunkSpec(number, chunk_ids, frame=rows))
    return chunks
