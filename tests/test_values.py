"""Numbers in chapters come from the notebooks: placeholders resolve, unknown ones fail the build precisely."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from conftest import CHAPTERS, NOTEBOOKS, ROOT
from notebook_values import MIME, PLACEHOLDER, UnknownValue, load_all, recorded_values, substitute


def test_every_placeholder_in_the_chapters_resolves():
    values = load_all(ROOT / "notebooks")
    for chapter in CHAPTERS:
        substitute(chapter.read_text(encoding="utf-8"), values, str(chapter.relative_to(ROOT)))


def test_unknown_value_names_file_line_and_name():
    values = {"amp": {"speedup": 1.234}}
    assert substitute("a\n{{ amp.speedup:.1f }}× and {{amp.speedup}}", values, "x.md") == "a\n1.2× and 1.234"
    with pytest.raises(UnknownValue) as err:
        substitute("line one\nthe gain is {{ amp.gain }}", values, "docs/x.md")
    assert "docs/x.md:2:" in str(err.value) and "'gain'" in str(err.value) and "speedup" in str(err.value)
    with pytest.raises(UnknownValue, match="no notebook notebooks/nope.ipynb"):
        substitute("{{ nope.x }}", values, "docs/x.md")


def test_recorded_values_are_json_and_unique():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for name, value in recorded_values(nb, path.name).items():
            assert PLACEHOLDER.fullmatch(f"{{{{ {path.stem}.{name} }}}}"), f"{path.name}: bad value name {name!r}"
            assert isinstance(value, (int, float, str, bool, list)), f"{path.name}: {name} = {value!r}"


def test_strict_build_fails_on_an_unknown_value(tmp_path):
    """A real mkdocs build with the site's hook: a chapter naming an unrecorded value aborts it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# T\n\nfine\n\nThe speed-up was {{ amp.no_such_value }}.\n")
    (tmp_path / "mkdocs.yml").write_text(f"site_name: t\nstrict: true\nhooks:\n"
                                         f"  - {ROOT / 'scripts/mkdocs_hooks/notebook_numbers.py'}\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "docs/index.md:5:" in proc.stderr and "no_such_value" in proc.stderr, proc.stderr


def test_values_mime_is_what_the_notebooks_use():
    """The record() helper each notebook defines must emit the MIME type the hook reads."""
    for path in NOTEBOOKS:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        if "def record(" in code:
            assert MIME in code, f"{path.name}: record() emits another MIME type than {MIME}"
