"""The documentation site: its examples run, and it builds offline with the whole public API.

Every ```python block of a page in ``docs/`` runs, in order, in one namespace per page, in a
temporary working folder holding a copy of the repository's ``examples/`` (the pages are read
from a clone), as a reader would paste them. A block directly after a ``<!-- skip-test -->``
line is not run (the page says why: a cluster or the network). The site itself is built with
``mkdocs build --strict`` and checked for the public API, every CLI command and no remote
scripts or stylesheets.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import given
from hypothesis import strategies as st

import forecast as fc
from forecast.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_MARKER = "<!-- skip-test -->"
# Pages whose examples take seconds (several model fits, simulated markets, worker processes).
SLOW_PAGES = {
    "index",
    "models",
    "covariates",
    "models-theta-ces",
    "backtesting",
    "retention",
    "scenarios",
    "shares",
}

_FENCE = re.compile(r"^```(\S*)\s*$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """Return ``(line number, code)`` of each ```python block not marked to be skipped."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```")
        previous = next((line for line in reversed(lines[:i]) if line.strip()), "")
        if match.group(1) == "python" and previous.strip() != SKIP_MARKER:
            blocks.append((i + 2, "\n".join(lines[i + 1 : end]) + "\n"))
        i = end + 1
    return blocks


@functools.cache
def _load_docs_hook(name: str = "public_api") -> Any:
    spec = importlib.util.spec_from_file_location(name, DOCS / "hooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pages_with_examples() -> list[Path]:
    pages = sorted(DOCS.glob("*.md"))
    return [page for page in pages if python_blocks(page.read_text(encoding="utf-8"))]


def test_python_blocks_are_found_in_order_and_skip_markers_apply() -> None:
    text = "\n".join(
        [
            "# Page",
            "```python",
            "a = 1",
            "```",
            "<!-- skip-test -->",
            "",
            "```python",
            "needs_a_cluster()",
            "```",
            "```bash",
            "forecast models",
            "```",
            "```python",
            "b = a + 1",
            "```",
        ]
    )
    assert python_blocks(text) == [(3, "a = 1\n"), (14, "b = a + 1\n")]


def test_docstring_roles_become_cross_references_and_math_becomes_code() -> None:
    to_markdown = _load_docs_hook().to_markdown
    text = (
        "Checked by :func:`forecast.validate`; raises :class:`~forecast.DataError`.\n"
        "The rate :math:`p + q`:\n\n.. math:: S(t) = (1 - c)^t\n"
    )
    assert to_markdown(text) == (
        'Checked by <autoref identifier="forecast.validate" optional>'
        "<code>forecast.validate</code></autoref>; raises "
        '<autoref identifier="forecast.DataError" optional><code>DataError</code></autoref>.\n'
        "The rate `p + q`:\n\n```text\nS(t) = (1 - c)^t\n```\n"
    )


@given(st.text().filter(lambda text: "`" not in text and ".. math::" not in text))
def test_docstrings_without_roles_are_left_unchanged(text: str) -> None:
    assert _load_docs_hook().to_markdown(text) == text


def test_cli_examples_become_code_blocks_and_fences_are_left_alone() -> None:
    verbatim_examples = _load_docs_hook("click_help").verbatim_examples
    lines = ["Run it.", "", "Examples:", "  forecast models", "    --help", "", "```", "Options:"]
    lines += ["  --out FILE", "```"]
    assert verbatim_examples(lines) == [
        "Run it.",
        "",
        "Examples:",
        "",
        "```text",
        "forecast models",
        "  --help",
        "```",
        "",
        "```",
        "Options:",
        "  --out FILE",
        "```",
    ]


def test_every_task_page_has_examples() -> None:
    with_examples = {page.stem for page in _pages_with_examples()}
    task_pages = {page.stem for page in DOCS.glob("*.md")} - {"benchmarks"}
    assert task_pages <= with_examples


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(
            page, id=page.stem, marks=[pytest.mark.slow] if page.stem in SLOW_PAGES else []
        )
        for page in _pages_with_examples()
    ],
)
def test_page_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for line, code in python_blocks(page.read_text(encoding="utf-8")):
            exec(compile(code, f"{page.relative_to(ROOT)}:{line}", "exec"), namespace)
    plt.close("all")
    unexpected = [w for w in caught if not issubclass(w.category, fc.ForecastWarning)]
    assert unexpected == [], [str(w.message) for w in unexpected]


class _RemoteAssets(HTMLParser):
    """Collect the ``<script src>`` and ``<link href>`` of a page that point off the site."""

    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value and re.match(r"(https?:)?//", value):
                self.remote.append(f"<{tag} {name}={value}>")


def _command_paths(group: click.Group, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(_command_paths(command, (*prefix, name)))
    return paths


def _command(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path[1:]:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def test_cli_page_table_names_every_command_with_its_exit_statuses() -> None:
    page = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    table = [line for line in page.splitlines() if line.startswith("| `forecast ")]
    for path in _command_paths(cli, ("forecast",)):
        if isinstance(_command(path), click.Group):
            continue
        rows = [row for row in table if row.startswith(f"| `{' '.join(path)}")]
        assert len(rows) == 1, path
        assert re.search(r"\| 0\b[^|]*\|$", rows[0]), (path, "exit statuses in the last column")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built by ``mkdocs build --strict`` (warnings such as bad links are errors)."""
    site_dir = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    return site_dir


@pytest.mark.slow
def test_api_reference_documents_every_public_name(site: Path) -> None:
    html = (site / "reference" / "api.html").read_text(encoding="utf-8")
    missing = [name for name in fc.__all__ if f'id="forecast.{name}' not in html]
    assert missing == []
    for name in ("models.get", "models.available", "models.register", "retention.fit"):
        assert f'id="forecast.{name}"' in html
    for package in (fc.batch, fc.retention, fc.datasets):
        documented = [name for name in package.__all__ if not name.isupper()]
        missing = [name for name in documented if f'id="{package.__name__}.{name}' not in html]
        assert missing == [], package.__name__


@pytest.mark.slow
def test_cli_reference_documents_every_command_and_option(site: Path) -> None:
    html = (site / "reference" / "cli.html").read_text(encoding="utf-8")
    paths = _command_paths(cli, ("forecast",))
    assert len(paths) >= 9
    for path in paths:
        assert f'id="{"-".join(path)}"' in html, path
        for param in _command(path).params:
            if isinstance(param, click.Option):
                assert max(param.opts, key=len) in html, (path, param.opts)
    assert "Sentinel" not in html  # no unset click default printed as a value
    with_examples = [path for path in paths if "Example" in (_command(path).help or "")]
    example_blocks = re.findall(
        r"Examples?:</p>\s*<div class=\"highlight\"><pre><span></span><code>forecast ", html
    )
    assert len(example_blocks) >= len(with_examples) > 0


@pytest.mark.slow
def test_site_renders_the_notebook_and_every_page(site: Path) -> None:
    notebook = (site / "quickstart.html").read_text(encoding="utf-8")
    assert "fc.forecast(" in notebook
    assert "data:image/png" in notebook  # the stored chart of the notebook
    for page in DOCS.glob("*.md"):
        assert (site / f"{page.stem}.html").is_file(), page.name


@pytest.mark.slow
def test_site_loads_no_remote_scripts_or_stylesheets(site: Path) -> None:
    remote = {}
    for page in site.rglob("*.html"):
        parser = _RemoteAssets()
        parser.feed(page.read_text(encoding="utf-8"))
        if parser.remote:
            remote[str(page.relative_to(site))] = parser.remote
    assert remote == {}
