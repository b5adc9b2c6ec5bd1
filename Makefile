# The two commands of the README. Each creates or updates the virtual environment itself.
#   make book   execute every chapter and write the HTML book to _build/html
#   make test   unit tests, every notebook under strict nbval, and the book build (warnings = errors)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: book test clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(INSTALLED)

book: $(INSTALLED)
	$(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going

test: $(INSTALLED)
	$(BIN)/python -m pytest --doctest-modules --nbval --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg recsys_tutorial tests book
	mkdir -p _build
	$(BIN)/python -c "import yaml; c = yaml.safe_load(open('_config.yml')); c['execute']['execute_notebooks'] = 'off'; yaml.safe_dump(c, open('_build/config-committed-outputs.yml', 'w'))"
	$(BIN)/jupyter-book build . --config _build/config-committed-outputs.yml --warningiserror --nitpick --keep-going

clean:
	rm -rf _build $(VENV)
