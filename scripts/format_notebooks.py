"""Format the English notebooks' code with ruff (ruff.toml: 112 characters, what a 1280-px notebook page shows).

    python scripts/format_notebooks.py                    # every English notebook
    python scripts/format_notebooks.py notebooks/x.ipynb  # these
    python scripts/format_notebooks.py --check            # change nothing; exit 1 naming each line still too long

Only the code cells' sources are rewritten, never the outputs: ruff's own notebook writer re-prints every float in
the outputs in a shorter form that is sometimes a different number, which the output digests then reject. A
`%%writefile x.py` cell has its script formatted. Formatting must leave what each cell computes unchanged
(execute_notebooks.cell_code): the notebook stays fresh and needs no re-execution. Lines ruff cannot shorten (long
strings and comments) are listed: wrap them by hand (implicitly concatenated literals keep the syntax tree).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from execute_notebooks import NOTEBOOK_DIR, ROOT, cell_code

WIDTH = 112
RUFF = [sys.executable, "-m", "ruff", "format", "--config", str(ROOT / "ruff.toml"), "--quiet"]
WRITEFILE = re.compile(r"%%writefile\s+(-a\s+)?\S+\.py\s*")


def _ruff(code: str, suffix: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"cell{suffix}"
        path.write_text(code, encoding="utf-8")
        subprocess.run([*RUFF, str(path)], check=True)
        return path.read_text(encoding="utf-8")


def formatted_sources(nb) -> list[str]:
    """The code cells' sources as ruff formats them (a notebook without outputs goes through ruff's ipynb mode,
    which knows IPython's magics)."""
    bare = nbformat.v4.new_notebook(metadata=nb.metadata)
    bare.cells = [nbformat.v4.new_code_cell(c.source) for c in nb.cells if c.cell_type == "code"]
    out = nbformat.reads(_ruff(nbformat.writes(bare), ".ipynb"), as_version=4)
    sources = [c.source for c in out.cells]
    for i, src in enumerate(sources):
        head, _, body = src.partition("\n")
        if WRITEFILE.fullmatch(head):
            sources[i] = head + "\n" + _ruff(body, ".py").rstrip("\n")
    return sources


def too_long(nb, label: str) -> list[str]:
    return [f"{label} cell {i}, line {j}: {len(line)} characters (at most {WIDTH})"
            for i, c in enumerate(nb.cells, 1) if c.cell_type == "code"
            for j, line in enumerate(c.source.splitlines(), 1) if len(line) > WIDTH]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a line is too long")
    args = ap.parse_args()
    paths = args.notebooks or sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if not p.name.endswith(".zh.ipynb"))
    problems = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not args.check:
            cells = [c for c in nb.cells if c.cell_type == "code"]
            changed = False
            for cell, new in zip(cells, formatted_sources(nb), strict=True):
                if new != cell.source:
                    if cell_code(new) != cell_code(cell.source):
                        sys.exit(f"{path}: ruff changed what a cell computes; nothing written:\n{cell.source[:200]}")
                    cell.source, changed = new, True
            if changed:
                nbformat.write(nb, path)
                print(f"formatted {path}")
        problems += too_long(nb, str(path))
    print("\n".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
