"""fc.read: formats, delimiters, decimal marks, press figures, wide layouts, file lines."""

from __future__ import annotations

import importlib.util
import tempfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.io.figures import QUALIFIER_WORDS, SCALES, parse_figures
from forecast.io.text import to_number
from forecast.io.wide import age_of_header


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ------------------------------------------------------------------------------ press figures
@given(
    number=st.decimals(min_value=0, max_value=999, places=2, allow_nan=False),
    suffix=st.sampled_from(["", *SCALES, "M", "K", "B", "Million"]),
    word=st.sampled_from(["", *QUALIFIER_WORDS]),
    space=st.sampled_from(["", " "]),
)
def test_a_written_figure_reads_back_as_its_number_and_qualifier(number, suffix, word, space):
    text = f"{word}{space if word else ''}{number}{space if suffix else ''}{suffix}"
    y, qualifier = parse_figures(pd.Series([text]))
    factor = SCALES[suffix.lower()] if suffix else 1
    assert y.iloc[0] == float(Decimal(number) * factor)
    assert qualifier.iloc[0] == (QUALIFIER_WORDS[word] if word else "=")


@given(number=st.integers(1_000, 10**12))
def test_thousands_separators_of_either_mark(number):
    point_file = f"{number:,}"
    comma_file = point_file.replace(",", ".")
    assert parse_figures(pd.Series([point_file]))[0].iloc[0] == number
    assert parse_figures(pd.Series([comma_file]), decimal=",")[0].iloc[0] == number


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("1 200", 1200.0),
        ("1\u00a0234\u00a0567", 1234567.0),
        ("1\u202f000", 1000.0),
        ("-1,000", -1000.0),
    ],
)
def test_a_space_between_groups_of_three_is_a_thousands_separator(written, number):
    assert to_number(pd.Series([written]), ".").iloc[0] == number


@pytest.mark.parametrize("written", ["1 1000", "12 34", "1,234 567", "1 2"])
def test_a_space_anywhere_else_is_refused_with_the_files_line_and_column(written, tmp_path):
    path = _write(tmp_path, "dau.csv", f'date,dau\n2024-01-01,5\n2024-02-01,"{written}"\n')
    assert np.isnan(to_number(pd.Series([written]), ".").iloc[0])
    message = r"column 'dau' \(read as 'y'\).*neither numbers nor press figures.*line 3"
    with pytest.raises(fc.SchemaError, match=message):
        fc.read(path, ds="date", y="dau", unique_id="app/dau")


@pytest.mark.parametrize(
    "text", ["n/a", "2.25 M users", "over", "about -", "2,25", ">>1M", "under 5M+"]
)
def test_what_is_not_a_figure_is_not_read(text):
    assert np.isnan(parse_figures(pd.Series([text]))[0].iloc[0])


def test_a_plus_after_a_figure_is_a_lower_bound():
    y, qualifier = parse_figures(pd.Series(["5M+", "5 million+"]))
    assert y.tolist() == [5e6, 5e6] and qualifier.tolist() == [">=", ">="]


def test_a_qualifier_column_that_contradicts_the_figure_is_refused(tmp_path: Path):
    path = _write(tmp_path, "q.csv", "unique_id,ds,y,qualifier\na,2024-01-01,>=2M,<=\n")
    with pytest.raises(fc.SchemaError, match=r"contradict.*line 2"):
        fc.read(path)
    agree = _write(
        tmp_path, "ok.csv", "unique_id,ds,y,qualifier\na,2024-01-01,>=2M,>=\na,2024-01-02,2M,~\n"
    )
    assert fc.read(agree)["qualifier"].tolist() == [">=", "~"]


# ---------------------------------------------------------------------------- text and lines
def test_error_lines_count_the_header_and_skip_nothing(tmp_path: Path):
    text = 'unique_id,ds,y\na,2024-01-01,1\n\na,2024-01-02,"2"\na,2024-01-03,-1\n'
    path = _write(tmp_path, "dau.csv", text.replace("a,", "a/dau,"))
    with pytest.raises(fc.DomainError) as info:
        fc.read(path)
    assert "line 5" in str(info.value) and info.value.rows == [5]


def test_a_ragged_row_names_its_line(tmp_path: Path):
    path = _write(tmp_path, "r.csv", "unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,2,9\n")
    with pytest.raises(fc.SchemaError, match="line 3 has 4 field"):
        fc.read(path)


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_each_delimiter_is_found_or_can_be_given(tmp_path: Path, sep: str):
    text = "unique_id,ds,y\na,2024-01-01,1.5\na,2024-01-02,2.5\n".replace(",", sep)
    path = _write(tmp_path, "d.txt", text)
    assert fc.read(path)["y"].tolist() == [1.5, 2.5]
    assert fc.read(path, sep=sep)["y"].tolist() == [1.5, 2.5]


def test_a_latin1_file_is_refused_with_the_encoding_option(tmp_path: Path):
    path = _write(tmp_path, "l.csv", "unique_id,ds,y\nGöteborg,2024-01-01,1\n", encoding="latin-1")
    with pytest.raises(fc.SchemaError, match="encoding="):
        fc.read(path)
    assert fc.read(path, encoding="latin-1")["unique_id"].tolist() == ["Göteborg"]


def test_both_decimal_marks_in_one_file_are_refused(tmp_path: Path):
    path = _write(tmp_path, "m.csv", "unique_id;ds;y\na;2024-01-01;1,5\na;2024-01-02;2.5\n")
    with pytest.raises(fc.SchemaError, match="decimal comma"):
        fc.read(path)


@pytest.mark.parametrize(
    ("sep", "written", "also", "expected"),
    [
        (";", '"1.234.567"', "1.234", [1234567.0, 1234.0]),
        (";", '"1,234,567"', "1,234", [1234567.0, 1234.0]),
        (",", '"1.234.567"', '"0,5"', [1234567.0, 0.5]),
        ("\t", "12.345.678", "999", [12345678.0, 999.0]),
    ],
)
def test_a_mark_used_twice_separates_thousands_and_settles_the_decimal_mark(
    tmp_path: Path, sep: str, written: str, also: str, expected: list[float]
):
    text = f"unique_id{sep}ds{sep}y\na{sep}2024-01-01{sep}{written}\na{sep}2024-01-02{sep}{also}\n"
    path = _write(tmp_path, "g.txt", text)
    assert fc.read(path)["y"].tolist() == expected


def test_thousands_by_points_beside_a_decimal_point_are_refused(tmp_path: Path):
    path = _write(tmp_path, "b.csv", "unique_id;ds;y\na;2024-01-01;1.234.567\na;2024-01-02;2.5\n")
    with pytest.raises(fc.SchemaError, match="decimal comma .*'1.234.567'.* decimal point"):
        fc.read(path)


def test_a_decimal_comma_file_with_a_stray_point_names_its_line(tmp_path: Path):
    path = _write(tmp_path, "s.csv", "unique_id;ds;y\na;2024-01-01;1,5\na;2024-01-02;2.5\n")
    with pytest.raises(fc.SchemaError, match=r"line 3: '2\.5'"):
        fc.read(path, decimal=",")


def test_mapping_a_column_onto_an_existing_one_is_refused(tmp_path: Path):
    path = _write(tmp_path, "x.csv", "unique_id,ds,date,y\na,2024-01-01,2024-01-01,1\n")
    with pytest.raises(fc.ConfigError, match="already"):
        fc.read(path, ds="date")
    with pytest.raises(fc.ConfigError, match="no column 'when'"):
        fc.read(path, ds="when")
    with pytest.raises(fc.ConfigError, match="unique_id"):
        fc.read(path, unique_id="b")


@pytest.mark.parametrize("suffix", [".parquet", ".json"])
def test_binary_and_json_files_name_records(tmp_path: Path, suffix: str):
    frame = pd.DataFrame(
        {"unique_id": "a/dau", "ds": ["2024-01-01", "2024-01-02"], "y": [1.0, -2.0]}
    )
    path = tmp_path / f"f{suffix}"
    if suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_json(path, orient="records")
    with pytest.raises(fc.DomainError, match="record 2"):
        fc.read(path)
    assert fc.read(path, validate=False)["y"].tolist() == [1.0, -2.0]


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="openpyxl not installed")
def test_a_workbook_names_sheet_rows(tmp_path: Path):
    frame = pd.DataFrame({"date": ["05.03.2024", "13.03.2024"], "dau": [">=2M", "n/a"]})
    path = tmp_path / "w.xlsx"
    frame.to_excel(path, index=False)
    with pytest.raises(fc.SchemaError, match="sheet row 3"):
        fc.read(path, ds="date", y="dau", unique_id="a")


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is not None, reason="openpyxl installed")
def test_a_workbook_without_openpyxl_says_how_to_install_it(tmp_path: Path):
    path = _write(tmp_path, "w.xlsx", "not a workbook")
    with pytest.raises(fc.ConfigError, match=r"forecast\[xlsx\]"):
        fc.read(path)


# ----------------------------------------------------------------------------------- wide
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("D1", (1, "day")),
        ("day 7", (7, "day")),
        ("d_30", (30, "day")),
        ("30d", (30, "day")),
        ("W2", (2, "week")),
        ("M3", (3, "month")),
        ("month 12", (12, "month")),
        ("7", (7, None)),
        ("Dx", None),
        ("cohort", None),
        ("d1w", None),
    ],
)
def test_age_headers(header, expected):
    assert age_of_header(header) == expected


def test_wide_retention_with_bare_ages_takes_the_unit_option(tmp_path: Path):
    path = _write(
        tmp_path, "r.csv", "cohort,1,2,3\n2024-01-01,45%,30%,22,5%\n".replace("22,5%", '"22,5%"')
    )
    read = fc.read(path, kind="retention", layout="wide", age_unit="month", decimal=",")
    assert read["retention"].tolist() == pytest.approx([0.45, 0.30, 0.225])
    assert read["age_unit"].unique().tolist() == ["month"] and read["age"].tolist() == [1, 2, 3]


def test_wide_retention_headers_and_option_must_agree(tmp_path: Path):
    path = _write(tmp_path, "r.csv", "cohort,D1,D7\n2024-01-01,0.4,0.2\n")
    with pytest.raises(fc.ConfigError, match="contradicts"):
        fc.read(path, kind="retention", layout="wide", age_unit="week")
    mixed = _write(tmp_path, "m.csv", "cohort,D1,W1\n2024-01-01,0.4,0.2\n")
    with pytest.raises(fc.SchemaError, match="mixes age units"):
        fc.read(mixed, kind="retention", layout="wide")


def test_wide_series_errors_name_the_line_and_series(tmp_path: Path):
    path = _write(tmp_path, "w.csv", "date,a/dau,b/dau\n2024-01-01,1,2\n2024-01-02,3,-4\n")
    with pytest.raises(fc.DomainError) as info:
        fc.read(path, layout="wide", ds="date")
    assert info.value.series == "b/dau" and "line 3" in str(info.value)


@pytest.mark.skipif(importlib.util.find_spec("openpyxl") is None, reason="openpyxl not installed")
def test_a_workbook_with_real_dates_and_numbers_reads_as_written(tmp_path: Path):
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=3), "y": [1.5, 2.0, 3.25]}
    )
    path = tmp_path / "w.xlsx"
    frame.to_excel(path, index=False, sheet_name="dau")
    read = fc.read(path, sheet="dau")
    assert read["ds"].tolist() == frame["ds"].tolist() and read["y"].tolist() == [1.5, 2.0, 3.25]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.lists(st.one_of(st.none(), st.integers(0, 10**9)), min_size=3, max_size=3),
        min_size=2,
        max_size=12,
    ),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_a_wide_table_reads_as_the_long_frame_it_was_made_from(values, sep):
    names = ["chatgpt/mau", "kimi/mau", "doubao/mau"]
    dates = pd.date_range("2024-01-01", periods=len(values), freq="MS")
    rows = [
        [d.strftime("%Y-%m-%d"), *("" if v is None else str(v) for v in row)]
        for d, row in zip(dates, values, strict=True)
    ]
    long = pd.DataFrame(
        [
            (name, d, float(v))
            for d, row in zip(dates, values, strict=True)
            for name, v in zip(names, row, strict=True)
            if v is not None
        ],
        columns=["unique_id", "ds", "y"],
    )
    assume(len(long) > 0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.csv"
        path.write_text("\n".join(sep.join(r) for r in [["date", *names], *rows]) + "\n")
        read = fc.read(path, layout="wide", ds="date")
    expected = fc.validate(long)
    pd.testing.assert_frame_equal(read[expected.columns], expected)


def test_a_wide_table_takes_its_names_from_its_headers_only(tmp_path: Path):
    path = _write(tmp_path, "w.csv", "date,a,b\n2024-01-01,1,2\n")
    for option in ({"unique_id": "x"}, {"id": "a"}):
        with pytest.raises(fc.ConfigError, match="headers"):
            fc.read(path, layout="wide", ds="date", **option)
