"""Open a built book in headless Chromium and report what a reader would see broken.

    python tests/book_browser.py _build/html     # every page; screenshots to _build/screenshots/

The book is served over http://127.0.0.1 (search fetches its index, which file:// forbids) and
opened with Playwright in the machine's own Chromium (Debian's `chromium`; Playwright downloads no
browser here). Each page is loaded, its images and maths given time to render, then checked for

* a JavaScript exception or console error,
* a file of the book that failed to load (an image, a script, a stylesheet: HTTP status >= 400),
  and an image that did not render (``naturalWidth == 0``),
* a link into the book that leads to no page, or to a page without the ``#anchor``,
* a code cell whose output is an error: a traceback, or stderr that names an error or warning,
* maths that MathJax did not typeset (a ``.math`` element left as TeX, a TeX error, ``$…$`` or
  ``\\(…\\)`` in the text),
* something a reader would have to scroll sideways to read: a code cell's input or output, or a
  code block, wider than its box (a line of code too long, a wide table), or the whole page wider
  than the window,

and screenshotted, full length, for a person to look at.

Offline, nothing outside 127.0.0.1 is fetched: every request to another host is failed at once
(a machine without internet would otherwise wait on each), and those failures are not counted as
errors; what breaks because of them (a script that throws) still is. The one exception is MathJax,
which the book loads from a CDN: its requests are answered from the copy of MathJax 3 that the
`django-static-mathjax` package ships (a dev dependency), so maths is typeset and checked exactly
as a reader online sees it, while the built HTML stays as readers get it.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import os
import re
import shutil
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Request, Response, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

# The CDN prefix of Sphinx's default `mathjax_path`, and where the local copy of MathJax 3 lives.
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Headless as root on a closed network: no sandbox (root), no GPU, and none of the background
# traffic (updates, sync, QUIC probes) that would wait on a network that is not there.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# A laptop's window: the book shows both sidebars, and 79 characters a line of code (see _static/custom.css).
WINDOW = {"width": 1280, "height": 900}
PAGE_TIMEOUT = 60  # seconds for one page to load and render
# Folders of the build that hold no pages.
NOT_PAGES = ("_static", "_sources", "_images", "_downloads", ".doctrees", "_sphinx_design_static")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable: $CHROMIUM, else the first on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    return None


def local_mathjax() -> Path | None:
    """The folder holding MathJax 3's ``es5/`` (from the django-static-mathjax package), if installed."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    return root if (root / "es5" / "tex-mml-chtml.js").exists() else None


def book_pages(root: Path) -> list[str]:
    """Every HTML page of a built book, as paths relative to its root, e.g. ``book/intro.html``."""
    pages = []
    for path in sorted(root.rglob("*.html")):
        relative = path.relative_to(root)
        if relative.parts[0] not in NOT_PAGES:
            pages.append(relative.as_posix())
    return pages


# ----------------------------------------------------------------------------------------------
# Serving the book, and a browser tab on it


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(root: Path):
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium(executable: str | None = None):
    """Headless Chromium, the machine's own (Playwright downloads none); yields the `Browser`."""
    executable = executable or find_chromium()
    if executable is None:
        raise RuntimeError("no Chromium found (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# Runs once the page has loaded: load every image now (lazy ones too), wait for MathJax to have
# typeset the page and for fonts, then settle a moment.
SETTLE = """async () => {
  const wait = (ms) => new Promise((done) => setTimeout(done, ms));
  const images = [...document.images];
  images.forEach((image) => { image.loading = "eager"; });
  await Promise.race([wait(10000), Promise.all(images.map((image) => image.complete ? null :
    new Promise((done) => { image.addEventListener("load", done); image.addEventListener("error", done); })))]);
  const mathjaxStarted = () => window.MathJax && MathJax.startup && MathJax.startup.promise;
  if (document.querySelector(".math")) {
    const start = Date.now();
    while (!mathjaxStarted() && Date.now() - start < 10000) await wait(50);
    if (mathjaxStarted()) await Promise.race([MathJax.startup.promise, wait(20000)]);
  }
  await Promise.race([document.fonts.ready, wait(5000)]);
  await wait(100);
}"""


class BookTab:
    """A tab on the served book that records what went wrong while a page loaded.

    Requests to other hosts are answered offline: MathJax from the local copy, anything else
    failed at once (and its host noted in ``blocked``).
    """

    def __init__(self, browser: Browser, base_url: str, mathjax: Path | None):
        self.base_url = base_url
        self.mathjax = mathjax
        self.problems: list[str] = []  # of the page being loaded; `open` starts it anew
        self.blocked: set[str] = set()
        self.page = browser.new_page(viewport=WINDOW)
        self.page.set_default_timeout(PAGE_TIMEOUT * 1000)
        self.page.route(lambda url: not url.startswith(base_url), self._answer_offline)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)

    def open(self, page: str, query: str = "") -> None:
        """Load a page of the book (relative path) and wait until it has rendered."""
        self.problems = []
        try:
            self.page.goto(self.base_url + page + query, wait_until="load")
        except PlaywrightError as error:
            self.problems.append(f"page did not load: {error.message.splitlines()[0]}")
            return
        self.page.evaluate(SETTLE)

    def shown(self, url: str) -> str:
        return url[len(self.base_url):]

    def _answer_offline(self, route: Route) -> None:
        url = route.request.url
        if self.mathjax is not None and url.startswith(MATHJAX_CDN):
            local = self.mathjax / urllib.parse.urlsplit(url[len(MATHJAX_CDN):]).path
            if local.is_file():
                # MathJax fetches its fonts from "another origin" (the CDN): they need the CORS header.
                route.fulfill(path=local, headers={"Access-Control-Allow-Origin": "*"})
                return
        self.blocked.add(urllib.parse.urlsplit(url).netloc)
        route.abort("internetdisconnected")

    def _on_console(self, message: ConsoleMessage) -> None:
        # Chromium logs every failed request as a console error too: the book's own are reported by
        # `_on_response` and `_on_request_failed`, those refused offline are not errors.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text[:300]}")

    def _on_page_error(self, error: PlaywrightError) -> None:
        first_line = (error.message.splitlines() or [""])[0]
        self.problems.append(f"JavaScript exception: {error.name}: {first_line}")

    def _on_response(self, response: Response) -> None:
        if response.url == self.base_url + "favicon.ico":
            return  # asked for by the browser itself, not by the book
        if response.url.startswith(self.base_url) and response.status >= 400:
            self.problems.append(f"failed to load {self.shown(response.url)} (HTTP {response.status})")

    def _on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED: the browser cancelled the request itself (the page moved on), not a failure.
        if request.url.startswith(self.base_url) and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed to load {self.shown(request.url)} ({request.failure})")


# ----------------------------------------------------------------------------------------------
# What is checked on each page

# Collects, from the rendered page, what the checks below need.
COLLECT = r"""() => {
  const main = document.querySelector("main") || document.body;
  const brokenImages = [...document.images].filter((image) => image.complete && image.naturalWidth === 0 ||
    !image.complete).map((image) => image.getAttribute("src"));
  const links = [...new Set([...document.querySelectorAll("a[href]")].map((a) => a.href))];
  const errorOutputs = [...main.querySelectorAll(".output.traceback, .output.error")]
    .map((o) => o.innerText.slice(0, 300));
  const stderr = [...main.querySelectorAll(".output.stderr, .output.stream")].map((o) => o.innerText)
    .filter((text) => /Traceback \(most recent call last\)|^\s*\w*(Error|Exception|Warning)\b[^\n]*:/m.test(text))
    .map((text) => text.slice(0, 300));
  const untypeset = [...main.querySelectorAll(".math")].filter((m) => !m.querySelector("mjx-container"))
    .map((m) => m.textContent.trim().slice(0, 120));
  const texErrors = [...main.querySelectorAll("mjx-merror, .MathJax_Error")].map((e) => e.textContent.slice(0, 120));
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight, kbd, samp";
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {acceptNode: (node) =>
    node.parentElement && node.parentElement.closest(skip) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const rawTex = /\$\$[^$]+\$\$|\$(?=\S)[^$\n]{1,300}?(?<=\S)\$|\\\(|\\\[/;
  const rawMath = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const match = node.textContent.match(rawTex);
    if (match) rawMath.push(node.textContent.trim().slice(0, 120));
  }
  return {brokenImages, links, errorOutputs, stderr, untypeset, texErrors, rawMath,
          mathjax: Boolean(window.MathJax && MathJax.startup && MathJax.startup.document)};
}"""

# Finds what a reader would have to scroll sideways to read. The boxes are a code cell's input, each
# of its outputs, and each code block outside cells; a box overflows when it, or an element in it
# (a <pre> that scrolls, a table's wrapper), is wider inside than it shows (scrollWidth > clientWidth).
# To say which lines of text are too long, each is measured in the <pre>'s font; a table is named by
# its header row. Anything else that spills out of the layout makes the whole page scroll sideways.
OVERFLOWS = r"""() => {
  const main = document.querySelector("main") || document.body;
  const boxes = [];
  [...main.querySelectorAll(".cell")].forEach((cell, index) => {
    const where = `code cell ${index + 1}`;
    const input = cell.querySelector(":scope > .cell_input");
    if (input) boxes.push({where, part: "input", element: input});
    const outputs = [...cell.querySelectorAll(":scope > .cell_output > *")];
    outputs.forEach((output, k) => boxes.push({where, part: outputs.length > 1 ? `output ${k + 1}` : "output",
                                                element: output}));
  });
  [...main.querySelectorAll("div.highlight")].filter((block) => !block.closest(".cell"))
    .forEach((block, index) => boxes.push({where: `code block ${index + 1}`, part: "", element: block}));

  const pen = document.createElement("canvas").getContext("2d");
  const firstCharacters = (text) => text.replace(/\s+/g, " ").trim().slice(0, 60);
  const overflows = [];
  for (const {where, part, element} of boxes) {
    const wide = [element, ...element.querySelectorAll("*")]
      .find((e) => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1);
    if (!wide) continue;
    const found = {where, part, kind: "other", tag: wide.tagName.toLowerCase(), width: wide.scrollWidth,
                   box: wide.clientWidth, first: firstCharacters(wide.textContent)};
    const table = wide.matches("table") ? wide : wide.querySelector("table");
    const pre = wide.matches("pre") ? wide : wide.querySelector("pre");
    if (table) {
      const header = [...(table.querySelector("tr") || table).children].map((c) => c.textContent.trim());
      Object.assign(found, {kind: "table", columns: header.length,
                            first: firstCharacters(header.filter(Boolean).join(" | "))});
    } else if (pre) {
      // textContent, not innerText: a code block in a closed dropdown has no rendered text, yet overflows when opened.
      const style = getComputedStyle(pre);
      pen.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = Math.min(pre.clientWidth, wide.clientWidth) - parseFloat(style.paddingLeft) -
        parseFloat(style.paddingRight);
      const lines = pre.textContent.replace(/\n$/, "").split("\n");
      const tooLong = lines.filter((line) => pen.measureText(line).width > room + 1);
      if (tooLong.length) Object.assign(found, {
        kind: "text", lines: tooLong.length, fit: Math.floor(room / pen.measureText("0").width),
        longest: Math.max(...tooLong.map((line) => [...line].length)), first: tooLong[0].trim().slice(0, 60)});
    }
    overflows.push(found);
  }
  const page = document.scrollingElement;
  return {overflows, pageOverflow: page.scrollWidth - page.clientWidth};
}"""


@dataclass
class PageReport:
    page: str
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    screenshot: Path | None = None


@dataclass
class BookReport:
    pages: list[PageReport]
    blocked_hosts: set[str]
    seconds: float

    @property
    def problems(self) -> list[str]:
        return [f"{page.page}: {problem}" for page in self.pages for problem in page.problems]


class _Anchors:
    """The ids of the book's pages, read from the files (cached)."""

    def __init__(self, root: Path):
        self.root = root
        self._ids: dict[Path, set[str]] = {}

    def ids(self, path: Path) -> set[str]:
        if path not in self._ids:
            text = path.read_text(encoding="utf-8", errors="replace")
            self._ids[path] = set(re.findall(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""", text))
        return self._ids[path]


def _local_file(root: Path, base_url: str, url: str) -> Path | None:
    """The file of the book a URL on the local server points at, or None for another site."""
    if not url.startswith(base_url):
        return None
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)[len(urllib.parse.urlsplit(base_url).path):]
    target = root / path
    return target / "index.html" if path == "" or path.endswith("/") else target


def _link_problems(links, root: Path, base_url: str, anchors: _Anchors) -> list[str]:
    problems = []
    for url in sorted(links):
        if url.startswith(("mailto:", "javascript:")):
            continue
        target = _local_file(root, base_url, url)
        if target is None:
            continue  # another site: not checked offline
        shown = url[len(base_url):]
        if not target.is_file():
            problems.append(f"link to a missing page: {shown}")
            continue
        fragment = urllib.parse.unquote(urllib.parse.urlsplit(url).fragment)
        if fragment and target.suffix == ".html" and fragment not in anchors.ids(target):
            problems.append(f"link to a missing anchor: {shown}")
    return problems


def _overflow_problems(found: dict) -> list[str]:
    problems = []
    for box in found["overflows"]:
        where = f"{box['where']} {box['part']}".strip()
        if box["kind"] == "text":
            lines = "1 line is" if box["lines"] == 1 else f"{box['lines']} lines are"
            problems.append(f"{where} overflows its box: {lines} longer than the {box['fit']} characters that fit "
                            f"(longest {box['longest']}), first {box['first']!r}")
        elif box["kind"] == "table":
            problems.append(f"{where} overflows its box: a table of {box['columns']} columns, {box['width']} px wide "
                            f"in {box['box']} px, header {box['first']!r}")
        else:
            problems.append(f"{where} overflows its box: a <{box['tag']}> {box['width']} px wide in {box['box']} px, "
                            f"{box['first']!r}")
    if found["pageOverflow"] > 1:
        problems.append(f"the page scrolls sideways: {found['pageOverflow']} px wider than the window")
    return problems


def check_page(tab: BookTab, root: Path, page: str, anchors: _Anchors, screenshots: Path | None) -> PageReport:
    report = PageReport(page)
    start = time.monotonic()
    redirect = re.search(r"""<meta http-equiv=["']refresh["'] content=["']\d+;\s*url=([^"']+)["']""",
                         (root / page).read_text(encoding="utf-8"), re.IGNORECASE)
    if redirect:  # a redirect stub (the book's index.html): its target must exist, nothing to render
        target = urllib.parse.urljoin(tab.base_url + page, redirect.group(1))
        report.problems = _link_problems([target], root, tab.base_url, anchors)
        return report
    tab.open(page)
    found = tab.page.evaluate(COLLECT)
    problems = [f"image did not load: {src}" for src in found["brokenImages"]]
    problems += _link_problems(found["links"], root, tab.base_url, anchors)
    problems += [f"code cell output is an error: {text!r}" for text in found["errorOutputs"] + found["stderr"]]
    if found["untypeset"] and not found["mathjax"]:
        problems.append(f"MathJax did not run: {len(found['untypeset'])} expressions left as TeX, "
                        f"e.g. {found['untypeset'][0]!r}")
    else:
        problems += [f"maths not typeset: {tex!r}" for tex in found["untypeset"]]
    problems += [f"TeX error: {text!r}" for text in found["texErrors"]]
    problems += [f"raw maths in the text: {text!r}" for text in found["rawMath"]]
    problems += _overflow_problems(tab.page.evaluate(OVERFLOWS))
    if screenshots is not None:
        screenshots.mkdir(parents=True, exist_ok=True)
        report.screenshot = screenshots / (page.removesuffix(".html").replace("/", "__") + ".png")
        tab.page.screenshot(path=report.screenshot, full_page=True)
    # Last: the handlers have now seen every event of the page's loading and checking.
    report.problems = tab.problems + problems
    report.seconds = time.monotonic() - start
    return report


def check_book(root: Path, pages: list[str] | None = None, screenshots: Path | None = None,
               executable: str | None = None, progress: bool = False) -> BookReport:
    """Open every page of the built book at ``root`` and report its problems."""
    root = Path(root).resolve()
    pages = book_pages(root) if pages is None else pages
    anchors = _Anchors(root)
    start = time.monotonic()
    with serve(root) as base_url, chromium(executable) as browser:
        tab = BookTab(browser, base_url, local_mathjax())
        reports = []
        for page in pages:
            reports.append(check_page(tab, root, page, anchors, screenshots))
            if progress:
                print(f"{reports[-1].seconds:5.1f} s  {page}: {len(reports[-1].problems) or 'no'} problems", flush=True)
    return BookReport(reports, tab.blocked, time.monotonic() - start)


def search_results(root: Path, query: str, executable: str | None = None) -> list[str]:
    """The pages (relative paths) that the book's own search lists for ``query``."""
    with serve(Path(root).resolve()) as base_url, chromium(executable) as browser:
        tab = BookTab(browser, base_url, local_mathjax())
        tab.open("search.html", query=f"?q={urllib.parse.quote(query)}")
        tab.page.wait_for_function("""() => /Search finished|did not match/.test(
          (document.querySelector("#search-results p.search-summary") || {}).innerText || "")""", timeout=20000)
        hrefs = tab.page.eval_on_selector_all("#search-results ul.search li a", "links => links.map((a) => a.href)")
    return sorted({urllib.parse.urlsplit(href).path.lstrip("/") for href in hrefs})


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "_build/html")
    report = check_book(root, screenshots=root.parent / "screenshots", progress=True)
    for problem in report.problems:
        print("  " + problem)
    print(f"{len(report.pages)} pages in {report.seconds:.0f} s; requests refused (offline): "
          f"{', '.join(sorted(report.blocked_hosts)) or 'none'}; screenshots in {root.parent / 'screenshots'}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
