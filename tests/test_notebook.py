"""``examples/quickstart.ipynb`` runs top to bottom, like a user would run it."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_runs_and_draws_the_plot() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, if any cell fails

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [out for cell in code_cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    plot_cells = [cell for cell in code_cells if "fc.plot(" in cell.source]
    assert len(plot_cells) == 2
    for cell in plot_cells:
        images = [out for out in cell.outputs if "image/png" in out.get("data", {})]
        assert len(images) == 1  # shown once: the figure is not also left open in pyplot
    texts = "".join(
        out.get("data", {}).get("text/plain", "") for cell in code_cells for out in cell.outputs
    )
    for model in ("naive", "ets", "theta", "prophet"):
        assert model in texts
