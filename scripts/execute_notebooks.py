"""Execute notebooks in a fresh kernel and write them back with their outputs and provenance.

    python scripts/execute_notebooks.py                 # every stale notebook in notebooks/
    python scripts/execute_notebooks.py --force a.ipynb # re-run these even if fresh
    python scripts/execute_notebooks.py --check         # list stale notebooks, exit 1 if any

A notebook is stale when the hash of what its code cells compute (their syntax, not their layout) differs from the
one recorded in its metadata.
On failure the script names the notebook and the cell, prints the traceback, exits 1 and leaves the file
on disk byte-for-byte untouched: outputs are written to a temporary file that replaces it only on success.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import importlib.metadata as md
import json
import os
import re
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
META_KEY = "provenance"
# Cells whose outputs are timings or otherwise machine-dependent carry this tag; only they may differ between
# runs. Every other cell must reproduce its committed outputs exactly (see output_differences).
NONDETERMINISTIC = "nondeterministic"
# What may differ between two runs of a deterministic cell: object addresses and temp-dir paths.
_VOLATILE = [(re.compile(r"0x[0-9a-fA-F]{6,}"), "0x…"), (re.compile(r"/tmp/[\w.-]*nbrun-[\w]+"), "<tmpdir>"),
             (re.compile(r"/tmp/tmp[\w]{6,}"), "<tmp>")]


def _syntax(node):
    """An AST as nested lists: node types and field values, leaving out empty fields (so that Python versions that
    add a field, like 3.12's type_params, agree)."""
    if isinstance(node, ast.AST):
        return [type(node).__name__] + [[name, _syntax(value)] for name, value in ast.iter_fields(node)
                                        if value not in (None, [])]
    if isinstance(node, list):
        return [_syntax(x) for x in node]
    return repr(node)


def _code_tree(code: str) -> ast.Module:
    """The syntax tree without docstrings: like comments, they document the code and change nothing it prints."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:]
    return tree


def cell_code(source: str):
    """What a code cell computes, without its layout: the syntax tree of the cell as IPython runs it (magics and
    shell lines included; a `%%writefile x.py` cell by the tree of the script it writes), so reformatting (ruff
    format, a wrapped comment or docstring) leaves it unchanged and any change to the code does not. A cell that
    does not parse counts by its exact text."""
    try:
        first, _, body = source.partition("\n")
        if re.fullmatch(r"%%writefile\s+(-a\s+)?\S+\.py\s*", first):
            return [first.split()[0], first.split()[1:], _syntax(_code_tree(body))]
        return _syntax(_code_tree(TransformerManager().transform_cell(source)))
    except SyntaxError:
        return source


def source_hash(nb) -> str:
    """sha256 of what the code cells compute (cell_code): what decides whether the outputs are stale."""
    code = [cell_code(c.source) for c in nb.cells if c.cell_type == "code"]
    return hashlib.sha256(json.dumps(code, ensure_ascii=False).encode()).hexdigest()


def output_digests(nb) -> list[str | None]:
    """Per cell, a sha256 (16 hex digits) of its outputs exactly as written (None for Markdown cells): recorded at
    execution, so a committed output edited by hand no longer matches its digest, on any machine."""
    return [hashlib.sha256(json.dumps(c.get("outputs", []), sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
            if c.cell_type == "code" else None for c in nb.cells]


def digest_problems(nb, label: str) -> list[str]:
    """'label cell N: ...' for each code cell whose committed outputs differ from what execution recorded."""
    recorded = nb.metadata.get(META_KEY, {}).get("output_digests")
    if recorded is None:
        return [f"{label}: no output digests recorded (execute it with scripts/execute_notebooks.py)"]
    actual = output_digests(nb)
    if len(recorded) != len(actual):
        return [f"{label}: {len(actual)} cells, but digests were recorded for {len(recorded)}"]
    return [f"{label} cell {i}: its outputs are not the ones recorded at execution (edited by hand?): re-run "
            f"`make notebooks-force NB=...`" for i, (a, b) in enumerate(zip(recorded, actual), 1) if a != b]


def is_stale(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return nb.metadata.get(META_KEY, {}).get("source_hash") != source_hash(nb)


def _version(*names: str) -> str | None:
    for name in names:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            pass
    return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# CPU features that change floating-point results (which kernels run, in what order, in which format).
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8")


def cpu_isa() -> list[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return [f for f in ISA_FLAGS if f in flags]
    except OSError:
        pass
    return []


def hardware() -> dict:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "isa": cpu_isa(), "gpu": gpu_name()}


def gpu_name() -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().splitlines()[0] if out.strip() else None


def provenance(nb, seconds: float) -> dict:
    """Written into the notebook's metadata after a successful run; the digests are taken of the outputs that the
    file will hold (nbformat's write and read keep them as they are: tests/test_notebooks.py checks every committed
    notebook)."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    versions = {"python": platform.python_version()}
    if "torch" in code:
        versions["torch"] = _version("torch")
    if "tensorflow" in code or "keras" in code:
        versions["tensorflow"] = _version("tensorflow", "tensorflow-cpu")
    return {
        "source_hash": source_hash(nb),
        "executed": dt.date.today().isoformat(),
        "seconds": round(seconds, 1),
        "versions": versions,
        "hardware": hardware(),
        "output_digests": output_digests(nb),
    }


class NotebookFailed(Exception):
    def __init__(self, cell_number: int, first_line: str, detail: str):
        super().__init__(detail)
        self.cell_number, self.first_line, self.detail = cell_number, first_line, detail


def execute(path: Path, timeout: int) -> tuple[object, float]:
    """Run the notebook in a fresh kernel inside a temp dir; return (executed nb, seconds).

    Raises NotebookFailed naming the cell (1-based, counting every cell as Jupyter shows them)."""
    nb = nbformat.read(path, as_version=4)
    current = {"index": 0}

    def on_cell_start(cell, cell_index, **_):
        current["index"] = cell_index

    with tempfile.TemporaryDirectory(prefix="nbrun-") as workdir:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                                record_timing=False, resources={"metadata": {"path": workdir}},
                                on_cell_start=on_cell_start)
        start = time.perf_counter()
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
            cell = nb.cells[current["index"]]
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            raise NotebookFailed(current["index"] + 1, first, f"{type(err).__name__}: {err}") from None
        return nb, time.perf_counter() - start


def _normalise(text: str) -> str:
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text


def _comparable(outputs) -> list[tuple[str, str]]:
    """(kind, text) per output. Images are compared by presence only: a curve that moves by 1e-7 changes
    pixels, and the numbers a plot shows are printed (and compared) as text where the prose relies on them."""
    out = []
    for o in outputs:
        if o.output_type == "stream":
            out.append((o.name, o.text))
        elif o.output_type in ("execute_result", "display_data"):
            for mime, data in sorted(o.get("data", {}).items()):
                text = "<image>" if mime.startswith("image/") else (
                    data if isinstance(data, str) else json.dumps(data, sort_keys=True, ensure_ascii=False))
                out.append((mime, text))
        else:
            out.append((o.output_type, f"{o.get('ename')}: {o.get('evalue')}"))
    # A stream may be split into several outputs differently from run to run: join consecutive ones.
    merged: list[tuple[str, str]] = []
    for kind, text in out:
        if merged and kind in ("stdout", "stderr") and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return [(kind, _normalise(text)) for kind, text in merged]


def output_differences(committed, fresh, label: str) -> list[str]:
    """Each code cell not tagged `nondeterministic` whose outputs differ: 'label cell N: committed X, fresh Y'."""
    problems = []
    if len(committed.cells) != len(fresh.cells):
        return [f"{label}: {len(committed.cells)} committed cells, {len(fresh.cells)} executed"]
    for i, (old, new) in enumerate(zip(committed.cells, fresh.cells), 1):
        if old.cell_type != "code" or NONDETERMINISTIC in old.get("metadata", {}).get("tags", []):
            continue
        a, b = _comparable(old.get("outputs", [])), _comparable(new.get("outputs", []))
        if a == b:
            continue
        if len(a) != len(b) or [k for k, _ in a] != [k for k, _ in b]:
            problems.append(f"{label} cell {i}: committed outputs {[k for k, _ in a]}, fresh {[k for k, _ in b]}")
            continue
        for (kind, x), (_, y) in zip(a, b):
            if x != y:
                xl, yl = x.splitlines(), y.splitlines()
                j = next((j for j, (p, q) in enumerate(zip(xl, yl)) if p != q), min(len(xl), len(yl)))
                line_a = xl[j] if j < len(xl) else "<missing line>"
                line_b = yl[j] if j < len(yl) else "<missing line>"
                problems.append(f"{label} cell {i} ({kind}, line {j + 1}): committed {line_a.strip()!r}, "
                                f"fresh {line_b.strip()!r}")
                break
    return problems


def write_atomically(nb, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".ipynb")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def display(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def run_one(path: Path, timeout: int, write: bool = True) -> bool:
    rel = display(path)
    print(f"executing {rel} ...", flush=True)
    try:
        nb, seconds = execute(path, timeout)
    except NotebookFailed as err:
        print(f"FAILED {rel}, cell {err.cell_number} ({err.first_line!r}):\n{err.detail}", file=sys.stderr)
        print(f"FAILED {rel}, cell {err.cell_number}: the committed notebook was left untouched", file=sys.stderr)
        return False
    except Exception as err:  # the kernel did not start, or died outside a cell
        print(f"FAILED {rel} before or between cells: {type(err).__name__}: {err}\n"
              f"FAILED {rel}: the committed notebook was left untouched", file=sys.stderr)
        return False
    for i, cell in enumerate(nb.cells, 1):  # the tests reject these; say so now (e.g. on unpinned versions)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                print(f"  note: {rel} cell {i} wrote to stderr: {out.get('text', '').strip()[:200]!r}")
    nb.metadata[META_KEY] = provenance(nb, seconds)
    if write:
        write_atomically(nb, path)
    print(f"ok {rel} in {seconds:.1f} s", flush=True)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    ap.add_argument("--force", action="store_true", help="re-run even if the notebook is fresh")
    ap.add_argument("--check", action="store_true", help="only list stale notebooks; exit 1 if any")
    ap.add_argument("--no-write", action="store_true", help="execute but never write back (e.g. other versions)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")
    args = ap.parse_args(argv)

    # Translations (<name>.zh.ipynb) are generated from the executed English notebook (scripts/translations.py).
    paths = [p.resolve() for p in args.notebooks] or sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if "." not in p.stem)
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print("no such notebook: " + ", ".join(map(str, missing)), file=sys.stderr)
        return 2
    stale = [p for p in paths if args.force or is_stale(p)]
    if args.check:
        for p in stale:
            print(f"stale: {display(p)}")
        return 1 if stale else 0
    if not stale:
        print(f"all {len(paths)} notebook(s) fresh: nothing to execute")
        return 0
    failed = [p for p in stale if not run_one(p, args.timeout, write=not args.no_write)]
    if failed:
        print(f"{len(failed)} notebook(s) failed: " + ", ".join(p.name for p in failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
