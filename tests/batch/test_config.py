"""Batch job files: valid ones load with defaults, bad ones fail with one line naming the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from forecast.batch import BatchConfig, load_config
from forecast.batch.config import config_hash
from forecast.batch.manifest import parts_key
from forecast.errors import ConfigError

from .conftest import write_job


def _base(tmp_path: Path) -> dict:
    (tmp_path / "data.csv").write_text("unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,2\n")
    return {
        "data": {"path": "data.csv"},
        "forecast": {"models": ["naive"], "horizon": 7},
        "base_dir": str(tmp_path),
    }


def test_a_job_file_loads_with_defaults_and_resolves_paths_against_its_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "data.csv").write_text("unique_id,ds,y\na,2024-01-01,1\n")
    job = write_job(
        tmp_path,
        """
[data]
path = "data.csv"
regex = "^a"
[forecast]
models = ["naive", "drift"]
horizon = 14
levels = [95, 80]
[forecast.params.drift]
transform = "log"
[backtest]
windows = 3
[output]
dir = "out"
formats = ["csv", "json"]
[executor]
kind = "dask"
workers = 2
chunk_size = 50
""",
    )
    config = load_config(job)
    assert isinstance(config, BatchConfig)
    assert config.forecast.levels == [80.0, 95.0]
    assert config.forecast.params == {"drift": {"transform": "log"}}
    assert config.backtest is not None and config.backtest.step is None
    assert config.output_dir == (tmp_path / "out").resolve()
    assert config.resolve(config.data.path) == (tmp_path / "data.csv").resolve()
    assert config.executor.kind == "dask" and config.executor.address is None


def test_defaults(tmp_path: Path) -> None:
    config = load_config(_base(tmp_path))
    assert config.output.formats == ["parquet"]
    assert config.output.plots is False
    assert config.executor.kind == "local"
    assert config.executor.chunk_size == 100
    assert config.backtest is None


def test_hash_changes_with_the_config_and_not_with_key_order(tmp_path: Path) -> None:
    raw = _base(tmp_path)
    first = config_hash(load_config(raw))
    reordered = {
        "forecast": {"horizon": 7, "models": ["naive"]},
        **{k: v for k, v in raw.items() if k != "forecast"},
    }
    assert config_hash(load_config(reordered)) == first
    raw["forecast"]["horizon"] = 8
    assert config_hash(load_config(raw)) != first


BAD = [
    (
        "unknown model",
        lambda c: c["forecast"].update(models=["etz"]),
        ["[forecast] models", "unknown model 'etz'", "naive"],
    ),
    (
        "negative horizon",
        lambda c: c["forecast"].update(horizon=-3),
        ["[forecast] horizon", "-3", "> 0"],
    ),
    (
        "zero chunk size",
        lambda c: c.update(executor={"chunk_size": 0}),
        ["[executor] chunk_size", "> 0"],
    ),
    (
        "unknown top key",
        lambda c: c.update(extras=1),
        ["unknown key 'extras'", "data, forecast, backtest, output, executor"],
    ),
    (
        "unknown key in a table",
        lambda c: c["forecast"].update(horizn=7),
        ["unknown key 'horizn' in [forecast]", "horizon"],
    ),
    (
        "unknown executor",
        lambda c: c.update(executor={"kind": "spark"}),
        ["[executor] kind", "'spark'", "'local' or 'dask'"],
    ),
    (
        "unknown format",
        lambda c: c.update(output={"formats": ["xlsx"]}),
        ["[output] formats", "'parquet', 'csv' or 'json'"],
    ),
    (
        "missing data file",
        lambda c: c["data"].update(path="nope.csv"),
        ["[data]", "nope.csv", "does not exist"],
    ),
    (
        "two sources",
        lambda c: c["data"].update(dataset="x"),
        ["[data]", "exactly one of path, glob, dataset, simulate"],
    ),
    (
        "glob without matches",
        lambda c: c.update(data={"glob": "none/*.parquet"}),
        ["[data]", "no file matches", "none/*.parquet"],
    ),
    (
        "bad level",
        lambda c: c["forecast"].update(levels=[80, 120]),
        ["[forecast] levels", "outside (0, 100)"],
    ),
    ("bad regex", lambda c: c["data"].update(regex="("), ["[data] regex", "regular expression"]),
    (
        "bad model parameter",
        lambda c: c["forecast"].update(params={"naive": {"alpha": 1}}),
        ["params.naive", "alpha"],
    ),
    (
        "params of an unlisted model",
        lambda c: c["forecast"].update(params={"drift": {}}),
        ["params.drift", "not in models"],
    ),
    ("missing table", lambda c: c.pop("forecast"), ["missing key forecast"]),
    (
        "address without dask",
        lambda c: c.update(executor={"address": "tcp://h:8786"}),
        ["[executor]", "kind = 'dask'"],
    ),
    ("zero windows", lambda c: c.update(backtest={"windows": 0}), ["[backtest] windows", "> 0"]),
    (
        "security without an address",
        lambda c: c.update(executor={"kind": "dask", "security": {"require_encryption": True}}),
        ["[executor]", "security is only used with kind = 'dask' and an address"],
    ),
    (
        "missing certificate",
        lambda c: c.update(
            executor={"kind": "dask", "address": "tls://h:8786", "security": {"tls_ca_file": "ca"}}
        ),
        ["[executor.security] tls_ca_file = 'ca'", "does not exist"],
    ),
    (
        "unknown security key",
        lambda c: c.update(
            executor={"kind": "dask", "address": "tls://h:8786", "security": {"password": "x"}}
        ),
        ["unknown key 'password' in [executor.security]", "tls_ca_file, tls_client_cert"],
    ),
    (
        "zero connect timeout",
        lambda c: c.update(executor={"connect_timeout": 0}),
        ["[executor] connect_timeout = 0 is not allowed; it must be a number > 0."],
    ),
    (
        "unknown extension",
        lambda c: c["data"].update(path="data.xlsx"),
        ["[data] path", ".csv, .json, .parquet"],
    ),
]


@pytest.mark.parametrize(("case", "change", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_configs_fail_with_one_line_naming_the_key(
    tmp_path: Path, case: str, change, expected: list[str]
) -> None:
    raw = copy.deepcopy(_base(tmp_path))
    change(raw)
    with pytest.raises(ConfigError) as info:
        load_config(raw)
    message = str(info.value)
    assert "\n" not in message
    for part in expected:
        assert part in message, (case, message)


def test_a_missing_or_malformed_job_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write_job(tmp_path, "[data\npath = 1"))


def test_simulate_keeps_its_extra_arguments(tmp_path: Path) -> None:
    raw = _base(tmp_path)
    raw["data"] = {"simulate": {"markets": 4, "seed": 7, "n_products": 2, "periods": 100}}
    config = load_config(raw)
    assert config.data.simulate is not None
    assert config.data.simulate.options == {"n_products": 2, "periods": 100}
    raw["data"]["simulate"]["n_markets"] = 2
    with pytest.raises(ConfigError, match="as markets, not n_markets"):
        load_config(raw)
    raw["data"]["simulate"]["markets"] = 0
    with pytest.raises(ConfigError, match=r"markets = 0 is not allowed"):
        load_config(raw)


def test_the_example_job_is_valid() -> None:
    from forecast.batch.sources import plan_chunks

    example = Path(__file__).resolve().parents[2] / "examples" / "batch_job.toml"
    config = load_config(example)
    chunks = plan_chunks(config)
    assert [len(chunk.ids) for chunk in chunks] == [6, 6]
    assert config.forecast.models == ["naive", "seasonal_naive", "ets"]
    assert config.output_dir == example.parent / "batch-output"


def test_a_retention_file_is_checked_when_the_job_loads(tmp_path: Path) -> None:
    raw = _base(tmp_path)
    path = tmp_path / "retention.csv"
    path.write_text("cohort,age,retention\n2024-01-01,1,0.4\n")
    raw["data"]["retention"] = "retention.csv"
    assert load_config(raw).data.retention == "retention.csv"
    key = parts_key(load_config(raw))
    path.write_text("cohort,age,retention\n2024-01-01,1,0.4\n2024-01-02,1,0.5\n")
    assert parts_key(load_config(raw)) != key  # a changed retention file reuses no chunk
    path.write_text("cohort,age,retention\n2024-01-01,1,40\n")
    with pytest.raises(ConfigError) as bad:
        load_config(raw)
    assert "[data] retention = 'retention.csv'" in str(bad.value) and "column 'retention'" in str(
        bad.value
    )
    assert "\n" not in str(bad.value)
    raw["data"]["retention"] = "gone.csv"
    with pytest.raises(ConfigError, match="gone.csv.*does not exist"):
        load_config(raw)


def test_security_maps_to_dask_security_with_paths_against_the_job_folder(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from forecast.batch.executors import _security

    for name in ("ca.pem", "job.pem", "job.key"):
        (tmp_path / name).write_text("not checked here\n")
    job = _base(tmp_path)
    job["executor"] = {
        "kind": "dask",
        "address": "tls://sched:8786",
        "connect_timeout": 2.5,
        "security": {
            "tls_ca_file": "ca.pem",
            "tls_client_cert": "job.pem",
            "tls_client_key": "job.key",
            "require_encryption": True,
        },
    }
    config = load_config(job)
    security = _security(config)
    assert security.tls_ca_file == str(tmp_path / "ca.pem")
    assert security.tls_client_cert == str(tmp_path / "job.pem")
    assert security.tls_client_key == str(tmp_path / "job.key")
    assert security.require_encryption is True
    assert config.executor.connect_timeout == 2.5
    assert _security(load_config(_base(tmp_path))) is None
