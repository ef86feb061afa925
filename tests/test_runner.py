"""The notebook runner: a failure names notebook and cell and leaves the file untouched; fresh notebooks skip."""

from __future__ import annotations

import subprocess
import sys

import nbformat
from conftest import ROOT
from execute_notebooks import cell_code, is_stale, source_hash

RUNNER = [sys.executable, str(ROOT / "scripts" / "execute_notebooks.py")]


def make_nb(path, *codes):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Planted")] + [nbformat.v4.new_code_cell(c) for c in codes]
    nbformat.write(nb, path)
    return path


def test_failure_names_cell_and_leaves_file_untouched(tmp_path):
    path = make_nb(tmp_path / "broken.ipynb", "x = 1", "print('fine')", "raise ValueError('planted defect')")
    before = path.read_bytes()
    proc = subprocess.run(RUNNER + [str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "broken.ipynb" in proc.stderr and "cell 4" in proc.stderr, proc.stderr
    assert "planted defect" in proc.stderr
    assert path.read_bytes() == before, "a failed run must not touch the notebook"
    assert not [p for p in tmp_path.iterdir() if p.name != "broken.ipynb"], "temp files left behind"


def test_success_writes_outputs_and_provenance_then_skips_when_fresh(tmp_path):
    path = make_nb(tmp_path / "ok.ipynb", "print(6 * 7)")
    assert is_stale(path)
    proc = subprocess.run(RUNNER + [str(path)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[1].outputs[0]["text"] == "42\n"
    prov = nb.metadata["provenance"]
    assert prov["source_hash"] == source_hash(nb) and prov["hardware"]["cpu"] and prov["versions"]["python"]
    assert not is_stale(path)
    again = subprocess.run(RUNNER + [str(path)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "nothing to execute" in again.stdout
    # Editing code makes it stale again; --check says so with exit 1.
    nb.cells[1].source = "print(6 * 9)"
    nbformat.write(nb, path)
    check = subprocess.run(RUNNER + ["--check", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 1 and "stale" in check.stdout


def test_layout_does_not_make_a_notebook_stale_but_code_does():
    """Staleness follows what a cell computes: reformatting, comments and docstrings leave it; any code change,
    a %%writefile script's included, does not."""
    cell = 'def f(x):\n    """Doc."""\n    return x + 1  # one\n%time f(1)\n'
    same = 'def f(x):\n    """Another doc, wrapped\n    differently."""\n    return (\n        x + 1\n    )\n\n\n%time f(1)\n'
    assert cell_code(cell) == cell_code(same)
    for changed in (cell.replace("x + 1", "x + 2"), cell.replace("%time", "%timeit"), cell.replace("(1)", "(1.0)"),
                    cell.replace("return x + 1  # one", 'return "x + 1"')):
        assert cell_code(changed) != cell_code(cell), changed
    script = "%%writefile train.py\nimport os\nprint(os.sep, 1)\n"
    assert cell_code(script) == cell_code("%%writefile train.py\nimport os\n\nprint(\n    os.sep, 1\n)\n")
    assert cell_code(script) != cell_code(script.replace("1)", "2)"))
    assert cell_code(script) != cell_code(script.replace("train.py", "eval.py"))
    # A string's value is code: the same text split over implicitly concatenated literals is the same value.
    assert cell_code('print("a long " "message")') == cell_code('print("a long message")')
    assert cell_code('print("a long " "message")') != cell_code('print("a longer message")')
