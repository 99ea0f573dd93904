# smabot: `make run` sets up and starts the app; `make test` sets up and runs the tests.
# Both are idempotent: setup happens once (stamp file) and again only when the
# dependency list changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTERNAL ?= ../shared/evalsets/external.jsonl
FAMILIES ?= ../shared/evalsets/families.jsonl
AXE_VERSION := 4.14.1
AXE    := $(VENV)/axe-core-$(AXE_VERSION)/axe.min.js
export SMABOT_AXE := $(abspath $(AXE))
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run chat index test lint bench load calibrate clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU build of torch first: an unpinned torch pulls several GB of CUDA packages
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e ".[app,eval,dev,postgres]"
	touch $@

run: $(STAMP)
	$(BIN)/smabot index
	$(BIN)/python app.py

chat: $(STAMP)
	$(BIN)/smabot chat

index: $(STAMP)
	$(BIN)/smabot index

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# axe-core (MPL-2.0) for the accessibility checks in tests/test_browser.py, from npm
$(AXE):
	@command -v npm >/dev/null || { echo "npm is needed to fetch axe-core for the browser tests"; exit 1; }
	rm -rf $(VENV)/axe-pack && mkdir -p $(VENV)/axe-pack
	cd $(VENV)/axe-pack && npm pack -q axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz
	mkdir -p $(dir $(AXE)) && cp $(VENV)/axe-pack/package/axe.min.js $(VENV)/axe-pack/package/LICENSE $(dir $(AXE))
	rm -rf $(VENV)/axe-pack

test: $(STAMP) $(AXE) lint
	$(BIN)/pytest -q
	$(BIN)/smabot eval --out eval-reports/dev
	@if [ -f $(EXTERNAL) ]; then $(BIN)/smabot eval --set $(EXTERNAL) --out eval-reports/external; \
	 else echo "($(EXTERNAL) not here: external set skipped)"; fi
	@if [ -f $(FAMILIES) ]; then $(BIN)/smabot eval --set $(FAMILIES) --out eval-reports/families; \
	 else echo "($(FAMILIES) not here: families set skipped)"; fi

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

load: $(STAMP)
	$(BIN)/python benchmarks/load.py

calibrate: $(STAMP)
	$(BIN)/python -m evals.calibrate

clean:
	rm -rf $(VENV) index/v-* index/.build-* index/CURRENT index/.lock .pytest_cache .ruff_cache
