"""The ``Dataset`` and its datasheet, ``DatasetInfo``, read from the data's ``DATASHEET.md``."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

import pandas as pd

from forecast.errors import ConfigError

if TYPE_CHECKING:
    from forecast.datasets.simulate import SimulationTruth

__all__ = ["Dataset", "DatasetInfo", "read_datasheet", "read_table"]

_REQUIRED_SECTIONS = ("Source", "Units", "Licence", "Caveats")


def _render(text: str, width: int) -> list[str]:
    """Markdown paragraphs, ``-`` lists and ``|`` tables as indented plain text."""
    out: list[str] = []
    pieces: list[tuple[str, str]] = []  # (kind, text): "p" paragraph, "-" list item, "|" table row
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            pieces.append(("", ""))
        elif stripped.startswith("|"):
            pieces.append(("|", stripped))
        elif stripped.startswith("- "):
            pieces.append(("-", stripped[2:]))
        elif pieces and pieces[-1][0] in ("p", "-"):
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + " " + stripped)
        else:
            pieces.append(("p", stripped))
    for kind, piece in pieces:
        if kind == "|":
            out.append("  " + piece)
        elif kind == "-":
            out.append(textwrap.fill(piece, width, initial_indent="  - ", subsequent_indent="    "))
        elif kind == "p":
            out.append(textwrap.fill(piece, width, initial_indent="  ", subsequent_indent="  "))
        elif out and out[-1]:
            out.append("")
    while out and not out[-1]:
        out.pop()
    return out


@dataclass(frozen=True)
class DatasetInfo:
    """The datasheet of a dataset.

    Attributes
    ----------
    name : str
        The name ``load`` takes, e.g. ``"ai-assistants-cn"``.
    title : str
        One line saying what the data are.
    description : str
        What is in the dataset and how it was turned into frames.
    source : str
        Where the figures come from.
    units : str
        Units of ``y`` (and of the retention frame).
    licence : str
        Terms of use.
    caveats : tuple of str
        What to keep in mind before using the figures.
    sections : dict of str to str
        Any further sections of the datasheet (columns, published estimates, ...), by heading.
    """

    name: str
    title: str
    description: str
    source: str
    units: str
    licence: str
    caveats: tuple[str, ...]
    sections: dict[str, str] = field(default_factory=dict)

    def to_text(self, width: int = 100) -> str:
        """Render the datasheet as plain text wrapped to ``width`` columns (for the CLI)."""

        def block(heading: str, text: str) -> list[str]:
            return [heading, *_render(text, width), ""]

        lines = [f"{self.name}: {self.title}", ""]
        lines += block("Description", self.description)
        lines += block("Source", self.source)
        lines += block("Units", self.units)
        lines += block("Licence", self.licence)
        lines += block("Caveats", "\n".join(f"- {caveat}" for caveat in self.caveats))
        for heading, text in self.sections.items():
            lines += block(heading, text)
        return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class Dataset:
    """A dataset: series, optional cohort retention, the datasheet, and for simulations the truth.

    Attributes
    ----------
    series : DataFrame
        A valid series frame (``unique_id``, ``ds``, ``y`` and the optional columns).
    retention : DataFrame or None
        A valid retention frame (``cohort``, ``age``, ``retention``, ...), or None.
    info : DatasetInfo
        The datasheet.
    truth : SimulationTruth or None
        For :func:`~forecast.datasets.simulate_market`: the true parameters and noise-free
        paths; None for bundled data.
    covariates : DataFrame or None
        Covariates of the series (``unique_id``, ``ds``, one column each), known at every
        date; :func:`~forecast.datasets.simulate_market` gives its campaigns here. None when
        the dataset has none.
    """

    series: pd.DataFrame
    retention: pd.DataFrame | None
    info: DatasetInfo
    truth: SimulationTruth | None = None
    covariates: pd.DataFrame | None = None


def _split_sections(text: str) -> tuple[str, str, dict[str, str]]:
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ConfigError("a DATASHEET.md starts with '# <name>: <title>'.")
    heading = lines[0][2:].strip()
    current = ""
    sections: dict[str, list[str]] = {current: []}
    for line in lines[1:]:
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        else:
            sections[current].append(line)
    return (
        heading,
        "\n".join(sections.pop("")).strip(),
        {k: "\n".join(v).strip() for k, v in sections.items()},
    )


def read_datasheet(package: str) -> DatasetInfo:
    """Read the ``DATASHEET.md`` of a dataset package into a :class:`DatasetInfo`.

    The file starts with ``# <name>: <title>``, then the description, then the sections
    ``## Source``, ``## Units``, ``## Licence`` and ``## Caveats`` (a list, one ``-`` item
    each), and any further ``##`` sections.

    Parameters
    ----------
    package : str
        The dataset's package, e.g. ``"forecast.datasets.ai_assistants_cn"``.

    Returns
    -------
    DatasetInfo

    Raises
    ------
    ConfigError
        The datasheet lacks its title or a required section.
    """
    text = resources.files(package).joinpath("DATASHEET.md").read_text(encoding="utf-8")
    heading, description, sections = _split_sections(text)
    name, _, title = heading.partition(":")
    missing = [s for s in _REQUIRED_SECTIONS if s not in sections]
    if missing or not title:
        raise ConfigError(
            f"the datasheet of {package!r} lacks a title or the section(s) {missing}."
        )
    caveats = []
    for line in sections.pop("Caveats").splitlines():
        if line.startswith("- "):
            caveats.append(line[2:].strip())
        elif line.strip() and caveats:
            caveats[-1] += " " + line.strip()
    return DatasetInfo(
        name=name.strip(),
        title=title.strip(),
        description=description,
        source=sections.pop("Source"),
        units=sections.pop("Units"),
        licence=sections.pop("Licence"),
        caveats=tuple(caveats),
        sections=sections,
    )


def read_table(
    package: str, filename: str, dtype: type[str] | dict[str, type[str]] | None = None
) -> pd.DataFrame:
    """Read a CSV file shipped in a dataset package (``dtype`` goes to ``pandas.read_csv``)."""
    with resources.files(package).joinpath(filename).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=dtype)
