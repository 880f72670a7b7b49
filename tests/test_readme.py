"""The README: its examples run, its Quickstart commands hold, its links and layout are current.

The README is the project's front page and stays short; everything else is on the documentation
site, whose pages ``tests/test_docs.py`` runs. Here every ```python block of the README runs in
order in one namespace, offline, in a temporary folder; the two Quickstart commands are checked
in the form ``.ci/run`` reads them (it runs the second) and against the command line they call;
every relative link resolves; the Layout diagram names every part of the package.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import warnings
from pathlib import Path
from types import ModuleType

import click
import pytest

import forecast as fc
from forecast.cli import cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_LINES = 200
TEST_COMMAND = (
    'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && .venv/bin/python -m pytest'
)


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _docs_examples() -> ModuleType:
    """``tests/test_docs.py``, for its one reader of ```python blocks."""
    spec = importlib.util.spec_from_file_location("docs_examples", ROOT / "tests" / "test_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _command_after(marker: str) -> str:
    """The line after the fence that follows ``marker``, as ``.ci/run``'s awk takes it."""
    lines = _text().splitlines()
    assert lines.count(marker) == 1, f"{marker} must appear once, on a line of its own"
    at = lines.index(marker)
    assert lines[at + 1] == "```bash" and lines[at + 3] == "```", lines[at : at + 4]
    return lines[at + 2]


def test_readme_stays_short() -> None:
    assert len(_text().splitlines()) <= MAX_LINES


def test_readme_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.pyplot as plt

    blocks = _docs_examples().python_blocks(_text())
    assert blocks, "the README shows at least one Python example"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for line, code in blocks:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
    plt.close("all")
    unexpected = [w for w in caught if not issubclass(w.category, fc.ForecastWarning)]
    assert unexpected == [], [str(w.message) for w in unexpected]
    written = [path for path in tmp_path.iterdir() if path.suffix == ".png"]
    assert written, "the example draws the chart the README shows"
    assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in written)


def test_quickstart_test_command_is_what_ci_runs() -> None:
    assert _command_after("<!-- quickstart:test -->") == TEST_COMMAND
    if shutil.which("awk") is None:
        pytest.skip("awk is not installed; .ci/run needs it")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    awk_program = re.search(r"awk '([^']+)' README\.md", ci)
    assert awk_program is not None, ".ci/run reads the command with awk"
    read = subprocess.run(
        ["awk", awk_program.group(1), str(README)], capture_output=True, text=True, check=True
    )
    assert read.stdout.strip() == TEST_COMMAND


def test_quickstart_main_command_installs_and_runs_a_valid_forecast() -> None:
    command = _command_after("<!-- quickstart:main -->")
    steps = [shlex.split(step) for step in command.split(" && ")]
    assert steps[0] == ["python3", "-m", "venv", ".venv"]
    assert steps[1] == [".venv/bin/pip", "install", "-q", "-e", "."]
    assert steps[2][0] == ".venv/bin/forecast" and steps[2][1] == "run"
    run = cli.commands["run"]
    with run.make_context("run", steps[2][2:]) as ctx:  # parses and checks every option
        by_flag = {
            max(param.opts, key=len): ctx.params[param.name]
            for param in run.params
            if isinstance(param, click.Option) and param.name in ctx.params
        }
    dataset = fc.datasets.load(by_flag["--dataset"])
    assert set(by_flag["--series"]) <= set(dataset.series["unique_id"])
    models = {spec.split(":")[0] for spec in by_flag["--model"]}
    assert models <= set(fc.models.available()["name"])
    assert str(by_flag["--plot"]).endswith(".png")


def _relative_links(text: str) -> list[str]:
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [target for target in targets if not re.match(r"[a-z]+:", target)]


def test_readme_links_and_pictures_resolve() -> None:
    links = _relative_links(_text())
    assert any(link.endswith(".png") for link in links), "the example shows its picture"
    for link in links:
        path = ROOT / link.split("#")[0]
        assert path.is_file(), link
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", link


def test_readme_links_every_docs_page() -> None:
    links = {link.split("#")[0] for link in _relative_links(_text())}
    pages = {page.relative_to(ROOT).as_posix() for page in (ROOT / "docs").rglob("*.md")}
    pages -= {"docs/reference/index.md"}
    assert pages - links == set()


def _layout_entries() -> set[str]:
    section = _text().split("## Layout", 1)[1]
    diagram = section.split("```", 2)[1]
    return set(re.findall(r"[├└]── (\S+)", diagram))


def test_layout_names_every_part_of_the_package() -> None:
    package = ROOT / "forecast"
    parts = {f"{path.name}/" for path in package.iterdir() if (path / "__init__.py").is_file()}
    parts |= {path.name for path in package.glob("*.py")} - {"__init__.py"}
    assert _layout_entries() == parts


def test_command_table_names_every_command() -> None:
    table = _text().split("## Command line", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`forecast (\w+)", table))
    assert listed == set(cli.commands)
    assert all(isinstance(cli.commands[name], click.Command) for name in listed)
