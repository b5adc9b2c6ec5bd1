# The commands of the README. Each creates or updates the virtual environment itself.
#   make book   execute every chapter and write the HTML book to _build/html
#   make unit   unit tests and doctests, no notebooks and no test marked slow: minutes
#   make lint   ruff over the package, the tests, the benchmarks and the notebooks
#   make test   the whole gate: lint, every unit test, every notebook under strict nbval (twice: with
#               its worked solutions pasted in, with this CPU's SIMD kernels; then as committed,
#               with those of an older CPU), the book build (warnings = errors) and the browser
#               test. The Spark tests and appendix run where Java 17 or 21 is installed; elsewhere
#               pytest lists them as skipped, and why.
# For authors:
#   make execute [NB=book/04_embedding_models.ipynb]   re-execute notebooks in place, then tidy them
#   make test-other-cpu   only the committed notebooks, strict nbval, with the older CPU's kernels
#   make test-cpus   the committed notebooks under each of Intel MKL's code paths this CPU has
#   make test-lowest   make unit in a scratch environment with every dependency at its floor
#   make lock   regenerate constraints.txt, the pinned versions of every package that is tested

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PIP := -m pip install --quiet --disable-pip-version-check
# PyTorch's CPU-only wheels. PyPI's Linux torch is the CUDA build (several GB); constraints.txt
# pins torch==X+cpu, which only this index (or a local wheel, where pip is offered one) holds.
# Where the index is unreachable, pip gives up on it after one quick retry.
TORCH_INDEX := --extra-index-url https://download.pytorch.org/whl/cpu --retries 1 --timeout 15
TORCH_VERSION := 2.13.0+cpu
# Kernels of another CPU: PyTorch without AVX, MKL at SSE4.2, OpenBLAS for a Prescott, FAISS
# without SIMD. A reader's laptop picks its own; outputs must not depend on which.
OTHER_CPU := ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 OPENBLAS_CORETYPE=Prescott FAISS_SIMD_LEVEL=NONE
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
JOBS ?= 2
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# JOBS workers, each test file or notebook whole on one of them, handed out in collection order:
# conftest.py puts the longest notebooks first (xdist would otherwise order by number of tests).
XDIST := -n $(JOBS) --dist loadfile --no-loadscope-reorder

.PHONY: book unit lint test test-other-cpu test-cpus test-lowest execute lock clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP) $(TORCH_INDEX) -c constraints.txt torch
	$(BIN)/python $(PIP) -c constraints.txt -e ".[dev,serve,spark,bench]"
	touch $(INSTALLED)

# Unit tests and doctests on JOBS workers, one thread each; the notebooks and the slow tests are
# left to `make test`.
unit: $(INSTALLED)
	$(ONE_THREAD) $(BIN)/python -m pytest -q $(XDIST) --durations=5 --doctest-modules -m "not slow" recsys_tutorial tests

lint: $(INSTALLED)
	$(BIN)/ruff check .

# Where Spark cannot start (no Java 17 or 21), the Spark appendix keeps its committed outputs.
book: $(INSTALLED)
	$(BIN)/python tests/book_config.py _build/config-book.yml
	$(BIN)/jupyter-book build . --config _build/config-book.yml --warningiserror --nitpick --keep-going

# The first pass runs every chapter with its worked solutions pasted in and each check asserted
# (tests/test_exercise_solutions.py): one execution checks the solutions and, for every other
# cell, the committed output. The exercises' heavier work runs on this CPU's faster kernels.
# That pass runs on JOBS workers (pytest-xdist), each test file or notebook whole on one of them,
# each with one thread (its committed outputs do not depend on the thread count, which this checks).
test: $(INSTALLED)
	$(MAKE) --no-print-directory lint
	rm -rf _build/solved
	$(BIN)/python tests/test_exercise_solutions.py _build/solved
	$(ONE_THREAD) $(BIN)/python -m pytest $(XDIST) --doctest-modules $(NBVAL) recsys_tutorial tests _build/solved
	$(MAKE) --no-print-directory test-other-cpu
	$(BIN)/python tests/book_config.py _build/config-committed-outputs.yml --committed-outputs
	$(BIN)/jupyter-book build . --config _build/config-committed-outputs.yml --warningiserror --nitpick --keep-going
	BOOK_HTML=_build/html $(BIN)/python -m pytest -q tests/test_book_html.py

# The committed notebooks with an older CPU's kernels, on JOBS workers of one thread each.
test-other-cpu: $(INSTALLED)
	$(OTHER_CPU) $(ONE_THREAD) $(BIN)/python -m pytest -q $(XDIST) $(NBVAL) book

# The committed notebooks under each generation of x86-64 maths kernels this CPU can run (read from
# /proc/cpuinfo, so on Linux): SSE4.2 (the older CPU of test-other-cpu), AVX2, and AVX-512. Intel
# MKL's AVX-512 path once changed a two-tower table where the AVX2 and SSE4.2 paths agreed, and only
# a CPU with AVX-512 can take it.
KERNELS_SSE4_2 := $(OTHER_CPU)
KERNELS_AVX2 := ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 OPENBLAS_CORETYPE=Haswell FAISS_SIMD_LEVEL=AVX2
KERNELS_AVX512 := ATEN_CPU_CAPABILITY=avx512 MKL_ENABLE_INSTRUCTIONS=AVX512 OPENBLAS_CORETYPE=SkylakeX FAISS_SIMD_LEVEL=AVX512
CPU_PATHS := SSE4_2 $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo AVX2) \
	$(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo AVX512)
test-cpus: $(INSTALLED)
	@for path in $(CPU_PATHS); do \
		echo "test-cpus: the committed notebooks with the $$path kernels"; \
		case $$path in SSE4_2) kernels="$(KERNELS_SSE4_2)";; AVX2) kernels="$(KERNELS_AVX2)";; \
			AVX512) kernels="$(KERNELS_AVX512)";; esac; \
		env $$kernels $(ONE_THREAD) $(BIN)/python -m pytest -q $(XDIST) $(NBVAL) book || exit 1; \
	done; echo "test-cpus: every notebook agreed under $(CPU_PATHS)"

# `make unit` in a scratch environment where every dependency is at the lower bound pyproject.toml
# declares (tests/lowest_constraints.py), so a floor the code does not run on fails here. PyTorch
# stays at the tested CPU build: older CPU wheels are not on PyPI. Where the floors do not install
# together, the end of _build/lowest-pip.log says why. The inner make must not rebuild the scratch
# venv from constraints.txt (-o): it would then test the pinned versions. Only the unit tests and
# doctests run at the floors; the notebooks, the book and the browser test do not.
LOWEST := _build/lowest-venv
test-lowest:
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(PYTHON) tests/lowest_constraints.py > _build/lowest-constraints.txt
	$(LOWEST)/bin/python $(PIP) $(TORCH_INDEX) -c constraints.txt torch
	$(LOWEST)/bin/python -m pip install --disable-pip-version-check -c _build/lowest-constraints.txt -e ".[dev,serve]" \
		> _build/lowest-pip.log 2>&1 || { tail -n 25 _build/lowest-pip.log; exit 1; }
	$(LOWEST)/bin/python -m pip list --disable-pip-version-check --format=freeze > _build/lowest-installed.txt
	touch $(LOWEST)/.installed
	$(MAKE) --no-print-directory unit VENV=$(LOWEST) -o $(LOWEST)/.installed

NB ?= book/*.ipynb
execute: $(INSTALLED)
	for notebook in $(NB); do \
		start=$$(date +%s); \
		$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=600 \
			--log-level=WARN "$$notebook" || exit 1; \
		echo "$$notebook: executed in $$(( $$(date +%s) - start )) s"; \
	done
	$(BIN)/python tests/tidy_notebooks.py $(NB)

lock:
	rm -rf _build/lock-venv
	$(PYTHON) -m venv _build/lock-venv
	_build/lock-venv/bin/python $(PIP) $(TORCH_INDEX) "torch==$(TORCH_VERSION)"
	_build/lock-venv/bin/python $(PIP) -e ".[dev,serve,bench,spark]"  # torch is installed already: kept
	{ echo "# Every package of the tested environment, pinned: generated by 'make lock' (Python"; \
	  echo "# $$(_build/lock-venv/bin/python -c 'import platform; print(platform.python_version(), platform.system(), platform.machine())')). Applied to every install with pip's -c."; \
	  _build/lock-venv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check; } > constraints.txt
	rm -rf _build/lock-venv

clean:
	rm -rf _build $(VENV)
