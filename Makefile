# plumb: build, test, demo, bench, install, dist. The README's two commands are `make demo` and
# `make test`; both work on a fresh machine (make deps installs what is missing).
SWIFT   ?= swift
PYTHON  ?= python3
CC      ?= gcc
CXX     ?= g++
PREFIX  ?= /usr/local
RELEASE := .build/release
LIB     := $(RELEASE)/libplumb.so
CLI     := $(RELEASE)/plumb
CBIN    := Tests/c/bin
STRICT  := -Wall -Wextra -Werror -pedantic
export PYTHONPATH := $(CURDIR)/Bindings/python$(if $(PYTHONPATH),:$(PYTHONPATH))

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SYSTEM_PACKAGES := libgmp-dev libmpfr-dev
PYTHON_PACKAGES := numpy pytest hypothesis mpmath

.PHONY: all build deps test test-swift test-c test-python test-examples demo bench clean

all: build

deps:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { \
	  echo "make deps: installing $(SYSTEM_PACKAGES)"; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y $(SYSTEM_PACKAGES); }
	@$(PYTHON) -c "import numpy, pytest, hypothesis, mpmath" 2>/dev/null || { \
	  echo "make deps: installing $(PYTHON_PACKAGES)"; \
	  $(PYTHON) -m pip install -q $(PYTHON_PACKAGES); }

# Release build of the library (libplumb.so) and the `plumb` command.
build: deps
	$(SWIFT) build -c release
	cp $(RELEASE)/plumb-cli $(CLI)

demo: build
	$(CLI) demo

test: build test-swift test-c test-python test-examples

test-swift: deps
	$(SWIFT) test

# Every C test is built as C11 against the header alone and linked with the built library; the
# header must also compile, link and run as C++17. Both with warnings as errors.
test-c: build
	@mkdir -p $(CBIN)
	$(CXX) -std=c++17 $(STRICT) -IInclude Tests/c/header_cxx17.cpp -o $(CBIN)/header_cxx17 \
	  -L$(RELEASE) -lplumb -Wl,-rpath,$(CURDIR)/$(RELEASE)
	$(CBIN)/header_cxx17
	@set -e; for src in Tests/c/test_*.c; do \
	  bin=$(CBIN)/$$(basename $$src .c); \
	  $(CC) -std=c11 $(STRICT) -IInclude $$src -o $$bin -L$(RELEASE) -lplumb -Wl,-rpath,$(CURDIR)/$(RELEASE) -lm -lpthread; \
	  echo "== $$bin"; $$bin; \
	done

test-python: build
	$(PYTHON) -m pytest -q Tests/python

# Examples are what users copy; they must keep working.
test-examples: build
	@mkdir -p $(CBIN)
	@set -e; for src in $$(ls examples/c/*.c 2>/dev/null); do \
	  bin=$(CBIN)/example_$$(basename $$src .c); \
	  $(CC) -std=c11 $(STRICT) -IInclude $$src -o $$bin -L$(RELEASE) -lplumb -Wl,-rpath,$(CURDIR)/$(RELEASE) -lm; \
	  echo "== $$bin"; $$bin >/dev/null; \
	done
	@set -e; for py in $$(ls examples/python/*.py 2>/dev/null); do \
	  echo "== $$py"; MPLBACKEND=Agg $(PYTHON) $$py --quick >/dev/null; \
	done

bench: build
	$(CLI) bench

clean:
	rm -rf .build $(CBIN) dist
