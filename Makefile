# ecozone — the two commands of the quick start:
#   make demo   set up everything and run the embedded demo study
#   make test   set up everything and run the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install system-deps lint bench clean

# Debian packages: Chromium (the report's browser test), a CJK font (the
# figures' Chinese labels), PostgreSQL with PostGIS (tests/test_postgis.py
# starts its own server; postgresql-postgis pulls the PostGIS of the default
# PostgreSQL), GDAL's ogrinfo (the PostGIS test reads the results back as
# QGIS does). Installed with apt-get when missing and we are root (as on CI);
# otherwise a note says what to install.
SYSTEM_PKGS := chromium fonts-noto-cjk postgresql postgresql-postgis gdal-bin
system-deps:
	@missing=""; for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: install the Debian packages$$missing (sudo apt-get install$$missing) for the browser test, CJK figures and the PostGIS test"; \
	  fi; \
	fi

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) system-deps
	$(BIN)/ecozone demo

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/zonal.py
	$(BIN)/python benchmarks/casa.py

clean:
	rm -rf $(VENV) ecozone-demo .pytest_cache .hypothesis
