"""Shared fixtures: the repository layout and one strict build of the site per test session."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> tuple[Path, float, str]:
    """(site dir, seconds, build log) of `mkdocs build --strict` into a temp dir.

    ELM_PREBUILT_SITE=<dir> reuses a site built by hand (quick iteration on the HTML/browser tests only);
    `make test` never sets it."""
    if os.environ.get("ELM_PREBUILT_SITE"):
        return Path(os.environ["ELM_PREBUILT_SITE"]), 0.0, ""
    site = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-d", str(site)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    if proc.returncode:
        pytest.fail(f"mkdocs build --strict failed (exit {proc.returncode}):\n{log}")
    return site, seconds, log
