"""Tests of the bundled datasets: each loads, validates, names its source, keeps every figure."""

from __future__ import annotations

import filecmp
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import betaln

import forecast as fc
from forecast.datasets import list_datasets, load
from forecast.datasets._periods import period_start
from forecast.errors import ConfigError, SchemaError
from forecast.schema import series_report

NAMES = [
    "ai-assistants-cn",
    "diffusion-classics",
    "retention-fader-hardie-2007",
    "social-apps-quarterly",
]
SOURCE_WORDS = {
    "ai-assistants-cn": "AI New Intelligence",
    "diffusion-classics": "Bass (1969)",
    "retention-fader-hardie-2007": "Fader",
    "social-apps-quarterly": "Business of Apps",
}


def test_list_datasets_names_every_dataset():
    table = list_datasets()
    assert table.columns.tolist() == ["name", "description", "series", "source"]
    assert table["name"].tolist() == NAMES
    assert table.set_index("name").loc["social-apps-quarterly", "series"] == 3
    assert fc.datasets.list_datasets().equals(table)  # lazy attribute of the package


@pytest.mark.parametrize("name", NAMES)
def test_dataset_loads_validates_and_names_its_source(name):
    data = load(name)
    pd.testing.assert_frame_equal(fc.validate(data.series), data.series)
    if data.retention is not None:
        pd.testing.assert_frame_equal(fc.validate(data.retention, kind="retention"), data.retention)
    assert data.info.name == name
    assert SOURCE_WORDS[name] in data.info.source
    assert data.series["source"].notna().all() and (data.series["source"].str.len() > 0).all()
    text = data.info.to_text()
    assert text.startswith(f"{name}: ") and SOURCE_WORDS[name] in text
    assert data.info.units and data.info.licence and data.info.caveats
    assert all(caveat in " ".join(text.split()) for caveat in data.info.caveats)


def test_unknown_name_raises_config_error_listing_names():
    with pytest.raises(
        ConfigError, match="'ai-assistants-cn'.*Did you mean 'social-apps-quarterly'"
    ):
        load("social-apps")


def test_data_files_ship_inside_the_package():
    root = resources.files("forecast.datasets")
    for folder in (
        "ai_assistants_cn",
        "social_apps_quarterly",
        "diffusion_classics",
        "retention_fader_hardie_2007",
    ):
        assert root.joinpath(folder, "DATASHEET.md").is_file()


def test_bundled_fact_tables_equal_the_shared_ones(shared_data):
    facts = shared_data / "facts"
    root = resources.files("forecast.datasets")
    pairs = {
        "ai_assistants_cn/seed_facts.csv": "seed_facts.csv",
        "ai_assistants_cn/public_figures.csv": "ai_assistants_public_figures.csv",
        "social_apps_quarterly/twitter_mdau_quarterly.csv": "twitter_mdau_quarterly.csv",
        "social_apps_quarterly/spotify_mau_quarterly.csv": "spotify_mau_quarterly.csv",
        "diffusion_classics/bass_classic_sales.csv": "bass_classic_sales.csv",
        "retention_fader_hardie_2007/sbg_fader_hardie_2007.csv": "sbg_fader_hardie_2007.csv",
    }
    for bundled, shared in pairs.items():
        with resources.as_file(root.joinpath(bundled)) as path:
            assert filecmp.cmp(path, facts / shared, shallow=False), bundled


# ------------------------------------------------------------------------------ ai-assistants-cn
@pytest.fixture(scope="module")
def assistants():
    return load("ai-assistants-cn")


def _raw(filename: str) -> pd.DataFrame:
    with resources.files("forecast.datasets.ai_assistants_cn").joinpath(filename).open() as handle:
        return pd.read_csv(handle, dtype=str)


def test_every_row_of_both_fact_tables_is_present(assistants):
    series = assistants.series
    assert len(series) == 50
    assert series["table"].value_counts().to_dict() == {"public_figures": 31, "seed_facts": 19}
    for table, raw, metric_of, period_of in (
        ("seed_facts", _raw("seed_facts.csv"), "metric", "ds"),
        ("public_figures", _raw("public_figures.csv"), "metric", "period_or_date"),
    ):
        rows = series[series["table"] == table]
        got = sorted(
            zip(
                rows["entity"],
                rows["metric"],
                rows["y"],
                rows["qualifier"],
                rows["note"],
                strict=True,
            )
        )
        want = sorted(
            zip(
                raw["entity"],
                raw[metric_of],
                raw["value"].astype(float),
                raw["qualifier"],
                raw["note"],
                strict=True,
            )
        )
        assert got == want, table
        assert sorted(map(period_start, raw[period_of])) == sorted(rows["ds"])


@pytest.mark.parametrize(
    ("unique_id", "ds", "y", "qualifier", "source_part"),
    [
        ("kimi/dau/all", "2024-03-25", 2_250_000, ">=", "significantly exceeds 2.25 million"),
        ("kimi/dau/all", "2024-03-10", 1_200_000, ">=", "AI New Intelligence"),
        ("kimi/dau/web", "2024-03-25", 790_000, "=", "web DAU"),
        ("kimi/visits/all", "2024-01-01", 1_525_000, "<=", "at most half"),
        ("wenxin_yiyan/visits_change/all", "2024-03-01", -0.3342, "=", "33.42%"),
        ("kimi/monthly_visits/all", "2024-03-01", 12_610_000, "=", "wuwenjie.xyz"),
        ("kimi/monthly_visits/all/alt1", "2024-03-01", 12_600_000, "~", "itechpost.com"),
        ("kimi/monthly_visits_mom_change/all", "2024-03-01", 3.2158, "=", "wuwenjie.xyz"),
        ("kimi/monthly_visits_mom_change/all/alt1", "2024-03-01", 3.215, "=", "itechpost.com"),
        ("kimi/monthly_visits_mom_change/all/alt2", "2024-03-01", 3.216, "=", "verity.news"),
        ("wenxin_yiyan/context_window/all", "2024-04-01", 2_000_000, ">=", "lower end"),
        ("wenxin_yiyan/context_window/all/alt1", "2024-04-01", 5_000_000, "<=", "upper end"),
        ("kimi/mau_app/app", "2025-04-01", 14_072_000, "=", "reportify.cn"),
        ("doubao/wau_app/app", "2025-12-08", 155_200_000, "=", "reportify.cn"),
        ("kimi/retention/all", "2024-02-01", 0.2336, "=", "February 2024"),
    ],
)
def test_figures_qualifiers_and_sources(assistants, unique_id, ds, y, qualifier, source_part):
    frame = assistants.series
    row = frame[(frame["unique_id"] == unique_id) & (frame["ds"] == pd.Timestamp(ds))]
    assert len(row) == 1, (unique_id, ds)
    assert row["y"].iloc[0] == pytest.approx(y, rel=1e-12)
    assert row["qualifier"].iloc[0] == qualifier
    assert source_part in row["source"].iloc[0]


def test_periods_as_published_are_kept(assistants):
    week = assistants.series.query("unique_id == 'doubao/wau_app/app'")
    assert week["period"].tolist() == ["2025-12-08/2025-12-14"]
    quarter = assistants.series.query("unique_id == 'kimi/mau_app/app'")
    assert quarter["period"].tolist() == ["2024-12", "2025-Q2", "2025-Q3"]


def test_kimi_retention_rates_form_a_retention_frame(assistants):
    retention = assistants.retention
    assert retention["unique_id"].tolist() == ["kimi"] * 3
    assert retention["cohort"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-12-01",
        "2024-01-01",
        "2024-02-01",
    ]
    assert retention["age"].tolist() == [1, 1, 1]
    assert retention["retention"].tolist() == [0.1848, 0.2225, 0.2336]


def test_changes_are_not_counts_but_visits_are(assistants):
    changes = assistants.series.query("metric == 'visits_change'")
    assert (changes["y"] < 0).all()  # allowed: a change is not a count
    negative_visits = assistants.series.query("unique_id == 'kimi/visits/all'").assign(y=-1.0)
    with pytest.raises(fc.DomainError, match="kimi/visits/all"):
        fc.validate(negative_visits)


@pytest.mark.parametrize(
    ("label", "date"),
    [
        ("2024-03-25", "2024-03-25"),
        ("2024-03", "2024-03-01"),
        ("2025-Q3", "2025-07-01"),
        ("2017Q4", "2017-10-01"),
        ("1961", "1961-01-01"),
        ("2025-12-08/2025-12-14", "2025-12-08"),
    ],
)
def test_period_rule(label, date):
    assert period_start(label) == pd.Timestamp(date)


def test_period_rule_rejects_unknown_labels():
    with pytest.raises(SchemaError, match="'spring 2024'"):
        period_start("spring 2024")


# ------------------------------------------------------------------------- social-apps-quarterly
def test_social_apps_quarterly_figures():
    series = load("social-apps-quarterly").series
    assert series.groupby("unique_id").size().to_dict() == {
        "spotify/mau/all": 24,
        "spotify/subscribers/premium": 24,
        "twitter/mdau/all": 22,
    }
    twitter = series.query("unique_id == 'twitter/mdau/all'")
    assert (twitter["ds"].iloc[-1], twitter["y"].iloc[-1]) == (pd.Timestamp("2022-04-01"), 238.0)
    assert (
        series.query("unique_id == 'spotify/mau/all' and period == '2017Q4'")["y"].item() == 160.0
    )
    report = series_report(series)
    assert set(report["frequency"]) == {"quarterly"} and report["n_missing"].sum() == 0


# --------------------------------------------------------------------------- diffusion-classics
def test_diffusion_classics_series_and_published_estimates():
    data = load("diffusion-classics")
    sizes = data.series.groupby("unique_id").size().to_dict()
    assert sizes == {
        "clothes_dryers/sales/all": 13,
        "color_televisions/sales/all": 8,
        "room_air_conditioners/sales/all": 13,
    }
    assert data.series.query("unique_id == 'color_televisions/sales/all'")["y"].max() == 5982.0
    table = data.info.sections["Published estimates"]
    for row in (
        "| room air conditioners | 0.010 | 0.42 |",
        "| colour televisions | 0.005 | 0.84 |",
        "| clothes dryers | 0.017 | 0.36 |",
    ):
        assert row in table
    assert set(series_report(data.series)["frequency"]) == {"yearly"}


# ------------------------------------------------------------------ retention-fader-hardie-2007
def _sbg_fit(survivors: np.ndarray) -> tuple[float, float]:
    """Maximum likelihood sBG fit to survivors at t = 0..T (Fader and Hardie 2007, eq. 5)."""
    ages = np.arange(len(survivors))

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        alpha, beta = np.exp(log_params)
        survival = np.exp(betaln(alpha, beta + ages) - betaln(alpha, beta))
        churned = survivors[:-1] - survivors[1:]
        return -(
            np.sum(churned * np.log(survival[:-1] - survival[1:]))
            + survivors[-1] * np.log(survival[-1])
        )

    result = minimize(
        negative_log_likelihood,
        [0.0, 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    alpha, beta = np.exp(result.x)
    return float(alpha), float(beta)


def test_fader_hardie_table_and_counts():
    data = load("retention-fader-hardie-2007")
    regular = data.retention.query("unique_id == 'regular'")
    assert regular["age"].tolist() == list(range(13))
    assert regular["retention"].iloc[[0, 1, 7, 12]].tolist() == [1.0, 0.631, 0.241, 0.173]
    assert (data.retention["cohort_size"] == 1000).all()
    counts = data.series.query("unique_id == 'high_end/customers/all'")["y"].tolist()
    assert counts[:3] == [1000.0, 869.0, 743.0] and counts[-1] == 394.0


@pytest.mark.parametrize(
    ("segment", "alpha", "beta"), [("regular", 0.704, 1.182), ("high_end", 0.668, 3.806)]
)
def test_sbg_fit_on_years_1_to_7_matches_the_paper(segment, alpha, beta):
    # Fader & Hardie (2007), "How to project customer retention", section 4: sBG fitted by maximum
    # likelihood to years 1-7 of Table 1; regular alpha = 0.704, beta = 1.182; high end
    # alpha = 0.668, beta = 3.806 (three decimals, so the tolerance is half a unit of the last).
    data = load("retention-fader-hardie-2007").retention.query("unique_id == @segment and age <= 7")
    survivors = (data["retention"] * data["cohort_size"]).to_numpy()
    fitted_alpha, fitted_beta = _sbg_fit(survivors)
    assert fitted_alpha == pytest.approx(alpha, abs=5e-4)
    assert fitted_beta == pytest.approx(beta, abs=5e-4)


@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        # One phrase per caveat of ../shared/data/facts/README.md, as the datasheets word it.
        (
            "ai-assistants-cn",
            [
                "2.33 million DAU is not given",
                "give no period",
                "about 2%",
                "web visits are not app MAU",
            ],
        ),
        ("social-apps-quarterly", ["after 2022Q2", "159 instead of 160"]),
        (
            "diffusion-classics",
            [
                "thousands of units in the literature",
                "depend on the estimation method",
                "p = 0.03, q = 0.38",
            ],
        ),
        (
            "retention-fader-hardie-2007",
            [
                "| regular | 0.704 | 1.182 |",
                "| high end | 0.668 | 3.806 |",
                "1000 initial customers",
            ],
        ),
    ],
)
def test_datasheets_keep_the_caveats_of_the_fact_tables(shared_data, name, phrases):
    assert (shared_data / "facts" / "README.md").is_file()
    text = " ".join(load(name).info.to_text().split())
    for phrase in phrases:
        assert phrase in text, phrase
