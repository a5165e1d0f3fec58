# harborlight: `make demo` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian's Chromium, for the browser check of the report and packets (tests/test_browser.py).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install demo test screenshots bench clean

# htmx and Cytoscape.js, pinned in web/package-lock.json, served by the workspace from its own host.
VENDOR := src/harborlight/web/static/vendor
VENDORED := $(VENDOR)/htmx.min.js $(VENDOR)/cytoscape.min.js

install: $(STAMP) $(CHROMIUM) $(VENDORED)

$(VENDORED): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --ignore-scripts --silent
	mkdir -p $(VENDOR)
	cp web/node_modules/htmx.org/dist/htmx.min.js web/node_modules/cytoscape/dist/cytoscape.min.js $(VENDOR)/

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

# Builds the demo world, then serves the workspace on http://127.0.0.1:8321 until Ctrl-C.
demo: install
	$(BIN)/harborlight demo

# In parallel, one pytest-xdist worker per core; a test file stays on one worker (--dist loadfile),
# so its module-scoped fixtures (worlds, browsers, servers) are built once.
test: install
	$(BIN)/python -m pytest -n auto --dist loadfile

# The README's screenshots (docs/img/), redrawn on purpose; `make test` writes its own to build/screenshots/.
screenshots: install
	HARBORLIGHT_REFRESH_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/test_browser.py tests/test_web_e2e.py

bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) harborlight-data .pytest_cache web/node_modules $(VENDOR)
