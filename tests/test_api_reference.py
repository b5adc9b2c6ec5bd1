"""The API reference (book/api/*.md) documents every name in every module's ``__all__``.

Sphinx builds the API pages alone, with the book's autodoc settings and local extensions
(_config.yml) but no notebook and no HTML writer, into a temporary folder. What autodoc
documented is then read from the build itself, not guessed from the directives:

* each ``__all__`` name of each module of the package (sub-modules included) has an entry, an
  anchor such as ``recsys_tutorial.ranking.neural.CrossNetwork``, on the page of its pipeline
  stage (``book/api/ranking.md``). A name a package re-exports counts once, documented where
  readers import it from: ``recsys_tutorial.models.base.Recommender`` as
  ``recsys_tutorial.models.Recommender``;
* each entry says something: a docstring, a ``#:`` comment (a constant's meaning and unit) or a
  sentence on the page.

Tested on its own (the first import of torch and the build take most of its few seconds)::

    .venv/bin/python -m pytest -q tests/test_api_reference.py
"""

import importlib
import importlib.util
import io
import pkgutil
from pathlib import Path

import pytest
import yaml

import recsys_tutorial

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "book" / "api"


def _modules():
    """Every public module of the package, imported; ``recsys_tutorial.spark`` only where pyspark is.

    A private module (``recsys_tutorial.models._training``) is not part of the API: its ``__all__``
    names what the package's own modules may import from it.
    """
    modules = [recsys_tutorial]
    for info in pkgutil.walk_packages(recsys_tutorial.__path__, prefix="recsys_tutorial."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        if info.name == "recsys_tutorial.spark" and importlib.util.find_spec("pyspark") is None:
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _public_names():
    """``(module, name)`` for every name of every module's ``__all__``."""
    return [(module, name) for module in _modules() for name in getattr(module, "__all__", ())]


def _build_api_pages(tmp_path, monkeypatch):
    """Build book/api/ with the book's Sphinx settings; the Sphinx application and its warnings."""
    sphinx = pytest.importorskip("sphinx.application")
    from sphinx.util import console

    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    config = book["sphinx"]
    local = config.get("local_extensions") or {}
    for path in set(local.values()):
        monkeypatch.syspath_prepend(str(ROOT / path))
    overrides = {key: value for key, value in config["config"].items()
                 if key.startswith(("autodoc_", "napoleon_", "myst_"))}
    overrides |= {
        "extensions": ["myst_parser", *config.get("extra_extensions", []), *local],
        "myst_enable_extensions": book["parse"]["myst_enable_extensions"],
        "root_doc": "index",
        "suppress_warnings": ["ref.doc", "myst.xref_missing"],  # the chapters, not built here
    }
    console.nocolor()
    warnings = io.StringIO()
    app = sphinx.Sphinx(str(API), None, str(tmp_path / "out"), str(tmp_path / "doctrees"), "dummy",
                        confoverrides=overrides, status=io.StringIO(), warning=warnings, freshenv=True)
    app.build()
    unlisted = "isn't included in any toctree"  # the table of contents (_toc.yml) is the book's
    return app, "".join(line for line in warnings.getvalue().splitlines(True) if unlisted not in line)


def _entry_texts(app):
    """The text of each documented object's own entry (its members' entries left out), by anchor."""
    from sphinx import addnodes

    texts = {}
    for docname in app.env.found_docs:
        for desc in app.env.get_doctree(docname).findall(addnodes.desc):
            content = next(child for child in desc.children if isinstance(child, addnodes.desc_content))
            own = content.deepcopy()
            for member in list(own.findall(addnodes.desc)):
                member.parent.remove(member)
            for signature in desc.findall(addnodes.desc_signature):
                for anchor in signature["ids"]:
                    texts[anchor] = own.astext().strip()
    return texts


def _anchors(module, name, objects):
    """The anchors documenting ``module.name``: its own, or those of packages above that re-export it.

    An alias is not an entry: autodoc notes a re-exported class under its defining module too
    (``:canonical:``), without an entry of its own there.
    """
    value, parts = getattr(module, name), module.__name__.split(".")
    anchors = []
    for depth in range(len(parts), 0, -1):
        package = importlib.import_module(".".join(parts[:depth]))
        anchor = f"{package.__name__}.{name}"
        if anchor in objects and not objects[anchor].aliased and getattr(package, name, None) is value:
            anchors.append(anchor)
    return anchors


def test_every_module_declares_all():
    """Without ``__all__`` a module's public names are unknown, and the test below would pass it by."""
    assert [module.__name__ for module in _modules() if not hasattr(module, "__all__")] == ["recsys_tutorial"]


def test_the_api_reference_documents_every_public_name(tmp_path, monkeypatch):
    app, warnings = _build_api_pages(tmp_path, monkeypatch)
    objects = app.env.get_domain("py").objects  # anchor -> (page, node id, type, aliased)
    texts = _entry_texts(app)
    missing, twice, elsewhere, silent = [], [], [], []
    for module, name in _public_names():
        anchors = _anchors(module, name, objects)
        stage = (module.__name__.split(".") + ["index"])[1]  # recsys_tutorial.<stage>...: book/api/<stage>.md
        if not anchors:
            missing.append(f"{module.__name__}.{name}")
            continue
        if len(anchors) > 1:
            twice.append(" and ".join(anchors))
        for anchor in anchors:
            if objects[anchor].docname != stage:
                elsewhere.append(f"{anchor} (on {objects[anchor].docname}.md, not {stage}.md)")
            if not texts.get(anchor):
                silent.append(anchor)
    problems = []
    if missing:
        problems.append(f"{len(missing)} public names missing from the API reference: {sorted(set(missing))}")
    if twice:
        problems.append(f"documented twice (once is enough: where readers import it from): {sorted(set(twice))}")
    if elsewhere:
        problems.append(f"documented on another stage's page: {sorted(set(elsewhere))}")
    if silent:
        problems.append(f"documented without a word (no docstring, #: comment or sentence): {sorted(set(silent))}")
    assert not problems, "\n".join(problems) + "\n\nSphinx warnings:\n" + warnings


#: Characters of a code line that fit the API pages' code boxes (tests/book_browser.py measures
#: the rendered page; this catches a long example line in a second, not after the book is built).
CODE_BOX_CHARACTERS = 75


def test_docstring_examples_fit_the_code_boxes():
    """Each line of each ``>>>`` block, as the page shows it: from ``>>>`` to the next blank line."""
    import doctest
    import inspect
    import re

    directive = re.compile(r"\s*#\s*doctest:.*$")  # Sphinx trims doctest flags before rendering
    too_long = []
    for module in _modules():
        for test in doctest.DocTestFinder().find(module, module.__name__):
            in_block = False
            for line in inspect.cleandoc(test.docstring or "").splitlines():
                in_block = line.lstrip().startswith(">>>") or (in_block and line.strip() != "")
                shown = directive.sub("", line.strip())
                if in_block and len(shown) > CODE_BOX_CHARACTERS:
                    too_long.append(f"{test.name}: {len(shown)} characters: {shown[:60]}")
    assert not too_long, "\n".join(sorted(set(too_long)))
