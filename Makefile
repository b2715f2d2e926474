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
SYSTEM_PACKAGES := libgmp-dev libmpfr-dev pkg-config
PYTHON_PACKAGES := numpy pytest hypothesis mpmath

.PHONY: all build deps test test-swift test-c test-python test-examples test-cli test-dist test-pip test-valgrind test-asan demo bench dist install clean

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

test: build test-swift test-c test-python test-examples test-cli test-dist test-pip test-valgrind test-asan

# The command runs end to end: help, the demo, every precision sweep, every exponent-test problem.
test-cli: build
	@mkdir -p $(CBIN)
	$(CLI) --help | grep -q hessian
	$(CLI) demo >/dev/null
	@set -e; for k in logsumexp infonce flatnce soft-topk spectral; do \
	  echo "== plumb precision $$k"; $(CLI) precision $$k --csv $(CBIN)/precision_$$k.csv >/dev/null 2>&1; \
	  test $$(wc -l < $(CBIN)/precision_$$k.csv) -gt 2; \
	done
	@set -e; for p in least-squares quadratic logistic; do \
	  echo "== plumb hessian --problem $$p"; \
	  $(CLI) hessian --problem $$p --steps 400 --sgd-lr 0.5 --adam-lr 0.03 --batch 1 64 >/dev/null; \
	done
	@# List options take commas as well as spaces: 2 batch sizes x (2 + 1) learning rates = 6 rows.
	test $$($(CLI) hessian --problem quadratic --steps 400 --batch 1,64 --sgd-lr 0.5,0.05 --adam-lr 0.03 \
	  | grep -cE '^(sgd|adam) ') -eq 6
	! $(CLI) hessian --batch 1,x 2>/dev/null
	! $(CLI) precision no-such-kernel 2>/dev/null
	@# Negative parameters after '=' with commas. A failure while running exits 1 (usage errors 64),
	@# and an unwritable CSV fails before the sweep prints anything.
	$(CLI) precision infonce --gaps=-50,-10,0 --dtype float32 | grep -q "^-10 "
	@set +e; $(CLI) precision logsumexp --values 1 --csv /nonexistent/x.csv > $(CBIN)/csvfail.txt 2>&1; \
	  test $$? -eq 1 && ! grep -q float32 $(CBIN)/csvfail.txt
	@set +e; $(CLI) precision infonce --gaps=-1e300 >/dev/null 2>&1; test $$? -eq 1
	@# A run whose gradients overflow the second moment (finite, beyond 2^500) reads "diverged", not NaN.
	$(CLI) hessian --dim 2 --samples 10 --steps 40 --batch 1 --sgd-lr 1e6 --adam-lr 0.01 > $(CBIN)/diverged.txt
	grep -q "diverged" $(CBIN)/diverged.txt && ! grep -q "nan" $(CBIN)/diverged.txt
	@set -e; for a in "--dim 9223372036854775807" "--samples 9223372036854775807" "--batch 9223372036854775807" \
	  "--dim 1000000000"; do \
	  $(CLI) hessian $$a --steps 400 >/dev/null 2>&1 && exit 1; test $$? -eq 64 || exit 1; \
	done
	@# `plumb bench` runs the scripts on the repository's package and the library beside the command.
	@rm -rf $(CBIN)/benchprobe && mkdir -p $(CBIN)/benchprobe/benchmarks && ln -s $(CURDIR)/Bindings $(CBIN)/benchprobe/Bindings
	@printf 'import plumb, os\nfrom plumb._lib import lib\nassert lib._name == "%s", lib._name\nassert plumb.__file__.startswith(os.getcwd() + "/Bindings/python/"), plumb.__file__\n' \
	  "$(realpath $(LIB))" > $(CBIN)/benchprobe/benchmarks/bench_probe.py
	cd $(CBIN)/benchprobe && env -u PLUMB_LIBRARY -u PYTHONPATH $(CURDIR)/$(CLI) bench probe

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

# Python tests and examples use the library just built, not a copy bundled by an earlier `make dist`.
test-python test-examples: export PLUMB_LIBRARY := $(CURDIR)/$(LIB)
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

# dist/: a relocatable install tree. The Swift runtime is linked statically, so the library needs no
# Swift toolchain (only libgmp, libmpfr and the C/C++ runtime). As in every build (Package.swift,
# Include/plumb.exports), only plumb_* symbols are exported.
# The library is also copied into the Python package so `pip install ./Bindings/python` carries it.
VERSION = $(shell sed -n 's/^\#define PLUMB_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' Include/plumb.h | paste -sd.)
DISTBUILD := .build-dist
dist: deps
	$(SWIFT) build -c release --product plumb --scratch-path $(DISTBUILD) \
	  -Xswiftc -static-stdlib
	rm -rf dist && mkdir -p dist/lib/pkgconfig dist/include Bindings/python/plumb/lib
	cp $(DISTBUILD)/release/libplumb.so dist/lib/
	cp Include/plumb.h dist/include/
	sed 's/@VERSION@/$(VERSION)/' Include/plumb.pc.in > dist/lib/pkgconfig/plumb.pc
	cp dist/lib/libplumb.so Bindings/python/plumb/lib/

install: dist
	mkdir -p $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	cp dist/lib/libplumb.so $(DESTDIR)$(PREFIX)/lib/
	cp dist/include/plumb.h $(DESTDIR)$(PREFIX)/include/
	cp dist/lib/pkgconfig/plumb.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

# A C program built with pkg-config against dist/ runs with only dist/lib on the library path.
test-dist: dist
	@mkdir -p $(CBIN)
	$(CC) -std=c11 $(STRICT) examples/c/exact_logsumexp.c -o $(CBIN)/dist_exact_logsumexp \
	  $$(PKG_CONFIG_PATH=$(CURDIR)/dist/lib/pkgconfig pkg-config --cflags --libs plumb) -lm
	env -u LD_LIBRARY_PATH LD_LIBRARY_PATH=$(CURDIR)/dist/lib $(CBIN)/dist_exact_logsumexp >/dev/null
	@exported=$$(nm -D --defined-only dist/lib/libplumb.so | awk '$$2 ~ /[A-Z]/ && $$3 !~ /^plumb_/' | wc -l); \
	  test $$exported -eq 0 || { echo "dist exports non-plumb symbols"; exit 1; }
	@! readelf -d dist/lib/libplumb.so | grep -q 'NEEDED.*libswift' || { echo "dist needs the Swift runtime"; exit 1; }
	@echo "test-dist: ok"

# The C tests under valgrind: no invalid reads or writes, 0 bytes definitely lost (error paths included).
test-valgrind: test-c
	@command -v valgrind >/dev/null || { \
	  echo "make test-valgrind: installing valgrind"; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y valgrind; }
	@set -e; for bin in $(CBIN)/test_*; do \
	  echo "== valgrind $$bin"; \
	  valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite --error-exitcode=9 $$bin >/dev/null; \
	done

# The Swift tests with AddressSanitizer (a separate build folder keeps the normal build intact).
test-asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp $(SWIFT) test --sanitize=address --scratch-path .build-asan

# `pip install ./Bindings/python` into a fresh virtual environment carries the library: import works
# with no PLUMB_LIBRARY and no PYTHONPATH, from outside the repository.
VENV := .build-venv
test-pip: dist
	rm -rf $(VENV) && $(PYTHON) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install -q --no-deps ./Bindings/python
	cd /tmp && env -u PYTHONPATH -u PLUMB_LIBRARY $(CURDIR)/$(VENV)/bin/python -c \
	  "import plumb; from plumb._lib import lib; assert lib._name.startswith('$(CURDIR)/$(VENV)'), lib._name; print('test-pip: plumb', plumb.version(), 'loaded', lib._name)"

# The benchmarks measure this build, not a copy `make dist` left inside the Python package.
bench: export PLUMB_LIBRARY := $(CURDIR)/$(LIB)
bench: build
	$(CLI) bench

clean:
	rm -rf .build $(DISTBUILD) $(VENV) $(CBIN) dist Bindings/python/plumb/lib
