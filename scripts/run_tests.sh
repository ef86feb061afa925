#!/usr/bin/env bash
# The whole test suite (make test) on both cores (pytest-xdist): the notebook executions start first, longest
# first (tests/conftest.py), and the quick checks fill in around them. PYTEST_WORKERS=1 runs it on one core.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_MKDOCS_2_WARNING=1 PYTHONDONTWRITEBYTECODE=1
start=$(date +%s)
.venv/bin/python -m pytest -p no:cacheprovider -rfEs --durations=15 -n "${PYTEST_WORKERS:-2}" --dist worksteal tests "$@"
echo "make test: $(( $(date +%s) - start )) s"
