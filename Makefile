# PaperDesk: `make run` starts the workspace, `make test` checks it. Both bootstrap .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_BIN := $(shell test -x infra/scripts/ensure-node.sh && infra/scripts/ensure-node.sh)
export PATH := $(if $(NODE_BIN),$(NODE_BIN):,)$(CURDIR)/$(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint typecheck format bench lock clean browser

install: $(STAMP)

$(STAMP): requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	# Bytecode now, once: PYTHONDONTWRITEBYTECODE is set, so without it every process of the
	# stack would compile pandas, numba and the rest from source at start (~10 s each).
	$(BIN)/uv pip sync --compile-bytecode --python $(BIN)/python requirements.lock
	@touch $(STAMP)

# `paperdesk up` applies the migrations before it starts anything.
run: install
	$(BIN)/paperdesk up

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy packages/core/src packages/strategy-engine/src services/ingestion/src services/workers/src apps/api-gateway/src apps/web/paperdesk_web

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The browser tests drive Debian's Chromium; install it when missing (root on these machines).
browser:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install lint typecheck browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Re-pin after editing a pyproject: uv.lock stays untracked, requirements.lock is committed.
lock:
	$(BIN)/uv lock
	$(BIN)/uv export --frozen --no-hashes --all-packages --all-groups --no-emit-project --no-header -o requirements.lock

clean:
	rm -rf $(VENV) .tools .paperdesk apps/web/.web
