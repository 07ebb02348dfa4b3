# The front door: `make run` chats in the console, `make test` checks everything.
# Both create .venv and install the project on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest check eval bench fuzz properties telegram clean messages system

# System packages the tests need: a real redis-server (the store contract, the two-worker
# webhook tests) and Debian's chromium (the web chat in a real browser), installed with
# apt-get where they are missing and we may.
SYSTEM_PACKAGES := redis-server:redis-server chromium:chromium
system:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
		command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing (apt-get)"; \
			apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "the tests need:$$missing (Debian/Ubuntu: apt-get install$$missing)" >&2; \
			exit 1; \
		fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot console

telegram: $(STAMP)
	$(BIN)/python -m bot telegram

lint: $(STAMP)
	$(BIN)/ruff check bot tests benchmarks fuzz
	$(BIN)/ruff format --check bot tests benchmarks fuzz

typecheck: $(STAMP)
	$(BIN)/mypy

check: $(STAMP)
	$(BIN)/python -m bot check

# The development set's report; fails under 95% accuracy or over 25% false accepts.
eval: $(STAMP)
	$(BIN)/python -m bot eval --fail-under 95 --max-false-accept 25

pytest: $(STAMP) system
	NO_PROXY=127.0.0.1,localhost $(BIN)/python -m pytest -q

test: lint typecheck check eval pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run.py

# The property tests with ten times more generated examples (about 100,000).
properties: $(STAMP)
	KZBOT_PROPERTY_SCALE=10 HYPOTHESIS_PROFILE=explore $(BIN)/python -m pytest -q tests/test_properties.py

# Coverage-guided fuzzing (atheris), FUZZ_TIME seconds per target. New crashes
# are saved as fuzz/corpus/<target>/crash-*: keep them, they become regression tests.
FUZZ_TIME ?= 60
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,fuzz]'
	for target in answer catalog; do \
		work=$$(mktemp -d); cp fuzz/corpus/$$target/* $$work/; \
		$(BIN)/python fuzz/$$target.py $$work -max_total_time=$(FUZZ_TIME) \
			-artifact_prefix=fuzz/corpus/$$target/ || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache dist build

# Refresh the message template from the code and merge it into the catalogues;
# then translate any new empty msgstr in locales/tr/LC_MESSAGES/messages.po.
messages: $(STAMP)
	$(BIN)/pybabel extract -k N_ --no-location --omit-header --sort-output -o locales/messages.pot bot
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --omit-header --no-fuzzy-matching
