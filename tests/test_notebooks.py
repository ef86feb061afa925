"""Committed notebooks are fresh and clean; every notebook executes from scratch in a fresh kernel."""

from __future__ import annotations

import re

import nbformat
import psutil
import pytest
from conftest import BANNED_APIS, NOTEBOOKS, ROOT, nb_id
from execute_notebooks import (NONDETERMINISTIC, NotebookFailed, digest_problems, execute, hardware, output_differences,
                               source_hash)
from format_notebooks import too_long

# stderr lines a notebook may print, each with the reason it cannot be avoided. Keep this short.
STDERR_ALLOWLIST: list[tuple[str, str]] = []
NOISE = re.compile(r"(Deprecation|Future|User|Runtime)Warning|oneDNN custom operations|cuda_|TF-TRT|"
                   r"absl::|WARNING: All log messages|I0000|W0000|E0000|Traceback \(most recent")
BUDGET_S = 180  # per notebook from scratch; the goal is 90 s on an idle 2-core CPU, doubled for noisy CI machines


def _allowed(text: str) -> bool:
    return all(any(re.search(p, line) for p, _ in STDERR_ALLOWLIST) for line in text.splitlines() if line.strip())


def _model_servers() -> set[int]:
    """PIDs of `transformers serve` processes (the serving notebook starts one and must stop it on every path)."""
    found = set()
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if "serve" in cmd and any("transformers" in a for a in cmd):
            found.add(p.pid)
    return found


@pytest.fixture(params=NOTEBOOKS, ids=nb_id)
def notebook(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 4, "the site promises executed notebooks on AMP, distribution, quantization, metrics"


def test_committed_notebook_is_fresh(notebook):
    path, nb = notebook
    prov = nb.metadata.get("provenance")
    assert prov, f"{path.name}: never executed by scripts/execute_notebooks.py (no provenance) — run `make notebooks`"
    assert prov["source_hash"] == source_hash(nb), f"{path.name}: code changed since its outputs — run `make notebooks`"
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type == "code" and cell.source.strip():
            assert cell.execution_count is not None, f"{path.name} cell {i} was never executed"


def test_code_fits_a_notebook_page(notebook):
    """No code line wider than the 112 characters a 1280-px notebook page shows (scripts/format_notebooks.py)."""
    path, nb = notebook
    assert not too_long(nb, path.name), "\n".join(too_long(nb, path.name)) + "\n(python scripts/format_notebooks.py)"


def test_committed_outputs_are_clean(notebook):
    path, nb = notebook
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{path.name} cell {i}: error output {out.get('ename')}"
            if out.output_type == "stream":
                if out.name == "stderr":
                    assert _allowed(out.text), f"{path.name} cell {i} writes to stderr:\n{out.text[:800]}"
                assert not NOISE.search(out.text), f"{path.name} cell {i}: log noise or a warning:\n{out.text[:800]}"


def test_notebook_conventions(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# "), \
        f"{path.name}: the first cell must be a markdown '# Title' (the site puts its buttons under it)"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"\]\(\.\./docs/[\w-]+\.md", text), f"{path.name}: no link back to its chapter (../docs/<chapter>.md)"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not BANNED_APIS.search(code), f"{path.name} uses an API the site says is broken or deprecated"
    assert "assert " in code, f"{path.name}: claims must be asserted"
    assert re.search(r"^#+ What to remember", text, re.M), f"{path.name}: ends with a 'What to remember' section"
    nav = (ROOT / "mkdocs.yml").read_text()
    assert f"notebooks/{path.name}" in nav, f"{path.name} is not in the site's nav"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_outputs_match_the_digests_recorded_at_execution(path):
    """On every machine, whatever hardware executed it: an output edited by hand fails here, naming the cell
    (the Chinese notebooks carry the English run's outputs and provenance, so they are checked the same way)."""
    problems = digest_problems(nbformat.read(path, as_version=4), f"notebooks/{path.name}")
    assert not problems, "\n".join(problems)


def test_a_hand_edited_output_is_caught_by_its_digest():
    """A planted edit (one digit of a printed number, in a cell the timing exemption does not cover) is named."""
    path = NOTEBOOKS[0]
    nb = nbformat.read(path, as_version=4)
    assert not digest_problems(nb, path.name)
    cell_no, out = next((i, o) for i, c in enumerate(nb.cells, 1) if c.cell_type == "code"
                        and NONDETERMINISTIC not in c.get("metadata", {}).get("tags", [])
                        for o in c.outputs if o.output_type == "stream" and re.search(r"\d", o.text))
    out.text = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), out.text, count=1)
    assert digest_problems(nb, path.name) == [
        f"{path.name} cell {cell_no}: its outputs are not the ones recorded at execution (edited by hand?): "
        "re-run `make notebooks-force NB=...`"]


def test_nondeterministic_tag_is_rare(notebook):
    """Only cells that print timings or machine facts may skip the reproducibility check: at most a quarter of a
    notebook's code cells (or 2), and none that records a value without printing a timing."""
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(nb.cells, 1) if NONDETERMINISTIC in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) <= max(2, len(code) // 4), \
        f"{path.name}: {len(tagged)} of {len(code)} code cells tagged {NONDETERMINISTIC!r} (cells {tagged}); " \
        "split timings into their own cells so the rest is checked"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_notebook_executes_from_scratch(path, record_property):
    """Runs in a fresh kernel without writing back; every deterministic cell must print what is committed."""
    before = path.read_bytes()
    servers_before = _model_servers()
    try:
        fresh, seconds = execute(path, timeout=BUDGET_S)
    except NotebookFailed as err:
        pytest.fail(f"{path.name} failed at cell {err.cell_number} ({err.first_line!r}):\n{err.detail[-3000:]}")
    finally:
        left = _model_servers() - servers_before
        assert not left, f"{path.name} left model servers running after its kernel stopped: pids {sorted(left)}"
    assert path.read_bytes() == before
    record_property("seconds", round(seconds, 1))
    print(f"\n{path.name}: executed from scratch in {seconds:.1f} s")
    assert seconds < BUDGET_S, f"{path.name} took {seconds:.0f} s (budget {BUDGET_S} s; goal 90 s)"
    committed = nbformat.read(path, as_version=4)
    recorded_hw = committed.metadata.get("provenance", {}).get("hardware")
    if recorded_hw != hardware():
        # Float results depend on the CPU's kernels (AMX vs AVX-512 BF16 vs AVX2) and thread count: outputs are
        # bit-reproducible on the hardware that produced them, not across machines. Say so; never pass silently.
        pytest.skip(f"{path.name} executed from scratch without error in {seconds:.0f} s; its outputs were not "
                    f"compared: committed on {recorded_hw}, this machine is {hardware()} (re-run "
                    "`make notebooks-force` on one machine to compare there)")
    diffs = output_differences(committed, fresh, f"notebooks/{path.name}")
    assert not diffs, ("outputs do not reproduce (re-run `make notebooks-force NB=...`, or tag a cell that prints "
                       f"timings {NONDETERMINISTIC!r}):\n" + "\n".join(diffs))
