#!/usr/bin/env bash
# Execute notebooks (default: all) on the newest versions instead of our pins, as a Colab user would:
# a second venv with only what Colab ships (torch, TensorFlow, scikit-learn, matplotlib, pandas) plus the
# notebook runner; anything else must be installed by the notebook's own first cell. Never writes back.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-latest
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  # torch 2.14.1 is the newest this machine's package index serves (a CUDA build, like Colab's); the weekly
  # workflow sets LATEST_TORCH=torch, whatever is newest.
  "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/pip" install -q --disable-pip-version-check "${LATEST_TORCH:-torch==2.14.1}" tensorflow-cpu scikit-learn matplotlib \
    pandas nbclient nbformat ipykernel
fi
"$VENV/bin/python" -c 'import importlib.metadata as m; print("latest venv:", ", ".join(f"{p} {m.version(p)}" for p in ("torch", "tensorflow-cpu", "keras", "scikit-learn", "numpy")))'
"$VENV/bin/python" scripts/execute_notebooks.py --force --no-write "$@"
