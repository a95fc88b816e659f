"""The notebooks in docs/notebooks run from top to bottom without an error (executed with
nbclient on a Jupyter kernel, on small run counts), and are committed without outputs."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbclient import NotebookClient

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))


def test_the_four_notebooks_are_there():
    names = {p.stem for p in NOTEBOOKS}
    assert names == {"quickstart", "comparing_replay_paths", "sweep_and_sensitivity",
                     "teaching_in_jupyter"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_without_error(path, tmp_path, monkeypatch):
    monkeypatch.setenv("TRADEWAR_NOTEBOOK_RUNS", "200")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on an error
    shown = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not any(o.get("output_type") == "error" for o in shown)
    # the figures the API returns are shown (once each), as images
    if path.stem != "teaching_in_jupyter":
        images = [o for o in shown if "image/png" in o.get("data", {})]
        assert images, "no figure was shown"
    assert os.environ["TRADEWAR_NOTEBOOK_RUNS"] == "200"
