# harborlight: `make demo` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian's Chromium, for the browser check of the report and packets (tests/test_browser.py).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test screenshots bench clean

install: $(STAMP) $(CHROMIUM)

$(CHROMIUM):
	@echo "installing Debian's chromium for the browser check"
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium >/dev/null

# Reinstall when the package definition or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/harborlight demo

test: install
	$(BIN)/python -m pytest

# The README's screenshots (docs/img/), redrawn on purpose; `make test` writes its own to build/screenshots/.
screenshots: install
	HARBORLIGHT_REFRESH_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_browser.py

bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) harborlight-data .pytest_cache
