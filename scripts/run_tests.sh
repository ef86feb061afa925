#!/usr/bin/env bash
# The whole test suite (make test). Fast checks first; notebook execution from scratch last.
set -euo pipefail
cd "$(dirname "$0")/.."
export NO_MKDOCS_2_WARNING=1 PYTHONDONTWRITEBYTECODE=1
start=$(date +%s)
.venv/bin/python -m pytest -p no:cacheprovider -rs --durations=15 \
  tests/test_runner.py tests/test_doc_blocks.py tests/test_site.py tests/test_browser.py tests/test_notebooks.py "$@"
echo "make test: $(( $(date +%s) - start )) s"
