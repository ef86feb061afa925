"""Shared fixtures: the repository layout and one strict build of the site per test session."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

# English sources. The Chinese edition (docs/*.zh.md, notebooks/*.zh.ipynb) is checked in test_translations.py:
# its code is the English code (included, or copied by scripts/translations.py), so it runs once, here.
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.name.endswith(".zh.ipynb"))
CHAPTERS = sorted(p for p in (ROOT / "docs").glob("*.md") if not p.name.endswith(".zh.md"))
ZH_CHAPTERS = sorted((ROOT / "docs").glob("*.zh.md"))
# APIs the site says are broken or deprecated: runnable code must not use them (the source's, labelled, may).
BANNED_APIS = re.compile(r"from_keras_model_file|count_floating_point_ops|torch\.cuda\.amp|torch\.cpu\.amp|vars\(model\)")


def nb_id(path: Path) -> str:
    return path.stem


def _provenance_seconds(path: Path) -> float:
    return json.loads(path.read_text(encoding="utf-8")).get("metadata", {}).get("provenance", {}).get("seconds", 0)


def pytest_collection_modifyitems(config, items):
    """Two lanes of long tests. Under `-n 2 --dist worksteal`, xdist gives the first half of this list to one worker and
    the second half to the other, and a worker that runs out steals from the end of the other's queue. So the first
    half starts with the notebook executions (longest first, by their last recorded run), the second with the parts
    of the browser's page sweep (the print pages first): about 500 s each on a loaded 2-core machine. The short tests
    fill the rest of each half and are the first to be stolen, so no long test is left for the end."""
    executions = {nb.stem: _provenance_seconds(nb) for nb in NOTEBOOKS}
    runs = sorted((i for i in items if i.originalname == "test_notebook_executes_from_scratch"),
                  key=lambda i: -executions.get(i.callspec.id, 0))
    sweep = [i for i in items if i.originalname == "test_every_page_loads_cleanly_and_passes_axe"]
    rest = [i for i in items if i not in runs and i not in sweep]
    k = max(0, len(items) // 2 - len(runs))
    items[:] = runs + rest[:k] + sweep + rest[k:]


def _build(site: Path) -> dict:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-d", str(site)],
                          cwd=ROOT, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"), capture_output=True, text=True)
    return {"site": str(site), "seconds": time.perf_counter() - start, "log": proc.stdout + proc.stderr,
            "returncode": proc.returncode}


@pytest.fixture(scope="session")
def built_site(tmp_path_factory, worker_id) -> tuple[Path, float, str]:
    """(site dir, seconds, build log) of `mkdocs build --strict` into a temp dir: built once per test run, also
    under pytest-xdist (the first worker builds under a file lock, the others read its result).

    ELM_PREBUILT_SITE=<dir> reuses a site built by hand (quick iteration on the HTML/browser tests only);
    `make test` never sets it."""
    if os.environ.get("ELM_PREBUILT_SITE"):
        return Path(os.environ["ELM_PREBUILT_SITE"]), 0.0, ""
    if worker_id == "master":  # not under xdist
        result = _build(tmp_path_factory.mktemp("site"))
    else:
        shared = tmp_path_factory.getbasetemp().parent  # this run's temp dir, common to all its workers
        with FileLock(str(shared / "site.lock")):
            record = shared / "site.json"
            if not record.is_file():
                record.write_text(json.dumps(_build(shared / "site")))
            result = json.loads(record.read_text())
    if result["returncode"]:
        pytest.fail(f"mkdocs build --strict failed (exit {result['returncode']}):\n{result['log']}")
    return Path(result["site"]), result["seconds"], result["log"]


def glossary_avoid_rules() -> list[tuple[re.Pattern, str, str]]:
    """(pattern, the site's form, why) for every form docs/glossary.yml marks as really wrong. Aliases (`also`)
    are never rejected: only this site's own forms and the really wrong ones are checked."""
    rules = []
    for group in yaml.safe_load((ROOT / "docs" / "glossary.yml").read_text(encoding="utf-8")):
        for t in group["terms"]:
            for a in t.get("avoid", []):
                if isinstance(a, str):
                    rules.append((re.compile(re.escape(a)), t["zh"], a))
                else:
                    rules.append((re.compile(a["re"]), t["zh"], a["why"]["en"]))
    return rules
