"""The built book as a reader sees it, in headless Chromium (tests/book_browser.py does the looking).

`make test` builds the book from the committed outputs, then runs this file with
``BOOK_HTML=_build/html``: every page is opened and checked, and screenshotted to
``_build/screenshots/``. Without ``BOOK_HTML`` (the suite's first pass, before any build) the
whole-book tests skip; the test of the checker itself runs on a small broken site it writes. Where
no Chromium is installed, every browser test skips and says so.
"""

import importlib
import os
import re
from pathlib import Path

import book_browser
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK_HTML = os.environ.get("BOOK_HTML")
MODULES = ["data", "features", "split", "models", "retrieval", "evaluation", "tuning", "ranking", "rerank", "serving",
           "monitoring", "experiments", "simulation", "bandits", "offpolicy", "spark", "plotting", "exercises"]

needs_chromium = pytest.mark.skipif(book_browser.find_chromium() is None,
                                    reason="browser test skipped: no Chromium installed (apt-get install chromium)")
needs_book = pytest.mark.skipif(not BOOK_HTML, reason="the built book is tested after `make test` builds it "
                                                      "(BOOK_HTML=_build/html)")


@pytest.fixture(scope="module")
def book():
    root = (ROOT / BOOK_HTML).resolve()
    assert (root / "book" / "intro.html").is_file(), f"no built book at {root}"
    return root


def test_every_package_module_has_an_api_page():
    """Each public module of the package has its page in book/api/, listed in the table of contents."""
    toc = (ROOT / "_toc.yml").read_text()
    modules = sorted(path.stem if path.is_file() else path.name for path in (ROOT / "recsys_tutorial").iterdir()
                     if not path.name.startswith("_") and (path.suffix == ".py" or (path / "__init__.py").is_file()))
    assert sorted(MODULES) == modules
    for name in MODULES:
        page = (ROOT / "book" / "api" / f"{name}.md").read_text()
        assert f".. automodule:: recsys_tutorial.{name}\n" in page
        assert f"file: book/api/{name}\n" in toc


@needs_book
def test_the_api_reference_documents_every_public_name(book):
    """Every name in every module's ``__all__`` has its entry (an anchor) on the module's API page."""
    missing = []
    for name in MODULES:
        module = importlib.import_module(f"recsys_tutorial.{name}")
        ids = set(re.findall(r'\bid="([^"]+)"', (book / "book" / "api" / f"{name}.html").read_text()))
        missing += [f"recsys_tutorial.{name}.{public}" for public in module.__all__
                    if f"recsys_tutorial.{name}.{public}" not in ids]
    assert not missing, f"public names missing from the API reference: {missing}"


@needs_chromium
@needs_book
def test_every_page_renders_cleanly(book):
    screenshots = book.parent / "screenshots"
    report = book_browser.check_book(book, screenshots=screenshots)
    pages = {page.page for page in report.pages}
    assert {"book/intro.html", "book/12_capstone.html", "book/api/index.html", "search.html", "genindex.html"} <= pages
    print(f"\n{len(report.pages)} pages checked in {report.seconds:.0f} s; screenshots in {screenshots}")
    assert not report.problems, "\n".join(report.problems)
    assert all(page.screenshot and page.screenshot.stat().st_size > 0 for page in report.pages
               if page.page != "index.html")  # the root index.html only redirects


@needs_chromium
@needs_book
@pytest.mark.parametrize("model, chapter", [("EASE", "book/06_evaluation.html"),
                                            ("LightGCN", "book/04b_item2vec_lightgcn_sasrec.html")])
def test_search_finds_a_model_by_name(book, model, chapter):
    results = book_browser.search_results(book, model)
    assert chapter in results, f"searching {model!r} lists {results}"
    assert "book/api/models.html" in results


# A small site with one clean page and one page broken in every way the checker looks for. Its style
# gives code and outputs the book's boxes: a column narrower than the window, scrolling inside.
MATHJAX = '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'
STYLE = "<style>main { max-width: 40em; } pre, .output { overflow-x: auto; }</style>"
PIXEL = ('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="red"/>'
         '</svg>')
LONG_LINE = "scores = model.predict(users, items)" + " + model.predict(users, items)" * 6
WIDE_TABLE = "<table><tr>" + "".join(f"<th>column_{i}</th>" for i in range(40)) + "</tr></table>"
CLEAN = f"""<!DOCTYPE html><html><head><title>clean</title>{MATHJAX}{STYLE}</head><body><main>
<h1 id="top">A clean page</h1><img src="pixel.svg" alt="a pixel">
<p>Inline maths <span class="math notranslate nohighlight">\\(x^2 + y^2\\)</span>, a price of $5 and $10,
and <a href="broken.html#section">a link</a> and <a href="#top">another</a>.</p>
<div class="cell"><div class="cell_input"><div class="highlight"><pre>scores = model.predict(users, items)</pre>
</div></div><div class="cell_output"><div class="output stderr"><pre>fit: 100%|██████████| 3/3</pre></div></div></div>
</main></body></html>"""
BROKEN = f"""<!DOCTYPE html><html><head><title>broken</title>{MATHJAX}{STYLE}</head><body><main>
<h1 id="section">A broken page</h1>
<img src="missing.png" alt="a missing image">
<p><a href="nowhere.html">a missing page</a>, <a href="clean.html#no-such-anchor">a missing anchor</a>,
raw maths $\\alpha + \\beta$, and a TeX error <span class="math notranslate nohighlight">\\(\\frac{{1}}\\)</span>.</p>
<div class="cell_output"><div class="output traceback"><pre>ZeroDivisionError: division by zero</pre></div></div>
<div class="cell"><div class="cell_input"><div class="highlight"><pre>print("short")
{LONG_LINE}</pre></div></div>
<div class="cell_output"><div class="output text_html">{WIDE_TABLE}</div></div></div>
<div style="width: 3000px">a banner wider than any window</div>
<script>undefined_function();</script>
</main></body></html>"""


@needs_chromium
def test_the_checker_reports_a_broken_page_and_passes_a_clean_one(tmp_path):
    (tmp_path / "pixel.svg").write_text(PIXEL)
    (tmp_path / "clean.html").write_text(CLEAN)
    (tmp_path / "broken.html").write_text(BROKEN)
    report = book_browser.check_book(tmp_path, pages=["clean.html", "broken.html"], screenshots=tmp_path / "shots")
    clean, broken = report.pages
    assert clean.problems == []
    problems = "\n".join(broken.problems)
    for expected in ["image did not load: missing.png", "failed to load missing.png (HTTP 404)",
                     "link to a missing page: nowhere.html", "link to a missing anchor: clean.html#no-such-anchor",
                     "JavaScript exception: ReferenceError: undefined_function is not defined",
                     "code cell output is an error: 'ZeroDivisionError: division by zero'",
                     "raw maths in the text", "alpha + ", "TeX error: 'Missing argument for",
                     "the page scrolls sideways"]:
        assert expected in problems, f"{expected!r} not reported in:\n{problems}"
    assert (tmp_path / "shots" / "broken.png").stat().st_size > 0


@needs_chromium
def test_the_checker_reports_a_code_cell_or_output_a_reader_would_scroll_sideways(tmp_path):
    (tmp_path / "broken.html").write_text(BROKEN)
    problems = book_browser.check_book(tmp_path, pages=["broken.html"]).problems
    overflows = [problem for problem in problems if "overflows its box" in problem]
    assert len(overflows) == 2, "\n".join(problems)
    code, table = overflows
    # The page, the cell and its part, and the first characters of the long line (not of the cell).
    assert code.startswith("broken.html: code cell 1 input overflows its box: 1 line is longer than the "), code
    assert f"(longest {len(LONG_LINE)}), first {LONG_LINE[:60]!r}" in code, code
    assert table.startswith("broken.html: code cell 1 output overflows its box: a table of 40 columns, "), table
    assert "header 'column_0 | column_1 | column_2" in table, table
