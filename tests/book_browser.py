"""Open a built book in headless Chromium and report what a reader would see broken.

    python tests/book_browser.py _build/html     # every page; screenshots to _build/screenshots/

The book is served over http://127.0.0.1 (search fetches its index, which file:// forbids) and
driven through the DevTools protocol over a websocket: Debian's `chromium` alone, no driver. Each
page is loaded, its images and maths given time to render, then checked for

* a JavaScript exception or console error,
* a file of the book that failed to load (an image, a script, a stylesheet: HTTP status >= 400),
  and an image that did not render (``naturalWidth == 0``),
* a link into the book that leads to no page, or to a page without the ``#anchor``,
* a code cell whose output is an error: a traceback, or stderr that names an error or warning,
* maths that MathJax did not typeset (a ``.math`` element left as TeX, a TeX error, ``$…$`` or
  ``\\(…\\)`` in the text),

and screenshotted, full length, for a person to look at.

Offline, nothing outside 127.0.0.1 is fetched: every request to another host is failed at once
(a machine without internet would otherwise wait on each), and those failures are not counted as
errors; what breaks because of them (a script that throws) still is. The one exception is MathJax,
which the book loads from a CDN: its requests are answered from the copy of MathJax 3 that the
`django-static-mathjax` package ships (a dev dependency), so maths is typeset and checked exactly
as a reader online sees it, while the built HTML stays as readers get it.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import importlib.util
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

# The CDN prefix of Sphinx's default `mathjax_path`, and where the local copy of MathJax 3 lives.
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
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
# Serving the book, and talking to Chromium


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


class DevTools:
    """A synchronous DevTools-protocol session with one page: commands, and the events they raise."""

    def __init__(self, websocket, base_url: str, mathjax: Path | None):
        self.ws = websocket
        self.base_url = base_url
        self.mathjax = mathjax
        self.events: list[dict] = []
        self.blocked: set[str] = set()  # hosts whose requests were failed (offline)
        self._next_id = 0

    def call(self, method: str, timeout: float = PAGE_TIMEOUT, **params) -> dict:
        self._next_id += 1
        sent = self._next_id
        self.ws.send(json.dumps({"id": sent, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.0, deadline - time.monotonic())))
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def wait_for(self, method: str, timeout: float = PAGE_TIMEOUT) -> dict:
        """Read messages until the event ``method`` arrives (it is returned, not kept)."""
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.0, deadline - time.monotonic())))
            if message.get("method") == method:
                return message
            self._event(message)

    def evaluate(self, expression: str, timeout: float = PAGE_TIMEOUT):
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluating a check failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _event(self, message: dict) -> None:
        if "id" in message:  # the reply to a Fetch command sent without waiting
            return
        if message.get("method") == "Fetch.requestPaused":
            self._answer_offline(message["params"])
        else:
            self.events.append(message)

    def _send(self, method: str, **params) -> None:
        self._next_id += 1
        self.ws.send(json.dumps({"id": self._next_id, "method": method, "params": params}))

    def _answer_offline(self, paused: dict) -> None:
        """Answer a request to another host: MathJax from the local copy, anything else refused."""
        url = paused["request"]["url"]
        if url.startswith(self.base_url):
            self._send("Fetch.continueRequest", requestId=paused["requestId"])
            return
        if self.mathjax is not None and url.startswith(MATHJAX_CDN):
            local = self.mathjax / urllib.parse.urlsplit(url[len(MATHJAX_CDN):]).path
            if local.is_file():
                kind = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                headers = [{"name": "Content-Type", "value": kind},
                           {"name": "Access-Control-Allow-Origin", "value": "*"}]
                self._send("Fetch.fulfillRequest", requestId=paused["requestId"], responseCode=200,
                           responseHeaders=headers, body=base64.b64encode(local.read_bytes()).decode())
                return
        self.blocked.add(urllib.parse.urlsplit(url).netloc)
        self._send("Fetch.failRequest", requestId=paused["requestId"], errorReason="InternetDisconnected")


@contextlib.contextmanager
def chromium_page(executable: str, base_url: str, mathjax: Path | None, width: int = 1280, height: int = 900):
    """Start headless Chromium with one blank page; yields its `DevTools` session.

    Requests outside ``base_url`` are answered by `DevTools._answer_offline`.
    """
    profile = tempfile.mkdtemp(prefix="book-browser-")
    process = subprocess.Popen(
        [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--hide-scrollbars", "--mute-audio",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", f"--window-size={width},{height}",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = _devtools_port(process)
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(target for target in pages if target["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30) as websocket:
            session = DevTools(websocket, base_url, mathjax)
            for domain in ("Page", "Runtime", "Log", "Network"):
                session.call(f"{domain}.enable")
            session.call("Fetch.enable", patterns=[{"urlPattern": "*"}])
            session.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                         mobile=False)
            yield session
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(process: subprocess.Popen) -> int:
    """Chromium prints ``DevTools listening on ws://127.0.0.1:PORT/...`` on stderr once it is up."""
    seen = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if match := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
            threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()  # keep the pipe drained
            return int(match.group(1))
    raise RuntimeError("Chromium did not start:\n" + "".join(seen[-20:]))


# ----------------------------------------------------------------------------------------------
# What is checked on each page

# Runs once the page has loaded: load every image now (lazy ones too), wait for MathJax to have
# typeset the page and for fonts, then settle a moment.
SETTLE = """(async () => {
  const wait = (ms) => new Promise((done) => setTimeout(done, ms));
  const images = [...document.images];
  images.forEach((image) => { image.loading = "eager"; });
  await Promise.race([wait(10000), Promise.all(images.map((image) => image.complete ? null :
    new Promise((done) => { image.addEventListener("load", done); image.addEventListener("error", done); })))]);
  if (document.querySelector(".math")) {
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() - start < 10000) await wait(50);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await Promise.race([MathJax.startup.promise, wait(20000)]);
  }
  await Promise.race([document.fonts.ready, wait(5000)]);
  await wait(100);
  return true;
})()"""

# Collects, from the rendered page, what the checks below need.
COLLECT = r"""(() => {
  const main = document.querySelector("main") || document.body;
  const brokenImages = [...document.images].filter((image) => image.complete && image.naturalWidth === 0 ||
    !image.complete).map((image) => image.getAttribute("src"));
  const links = [...new Set([...document.querySelectorAll("a[href]")].map((a) => a.href))];
  const errorOutputs = [...main.querySelectorAll(".output.traceback, .output.error")].map((o) => o.innerText.slice(0, 300));
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
})()"""


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


def _event_problems(events: list[dict], base_url: str) -> list[str]:
    problems = []
    requested = {}  # request id -> URL
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            requested[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            url = requested.get(params["requestId"], "")
            if url.startswith(base_url) and not params.get("canceled"):
                problems.append(f"failed to load {url[len(base_url):]} ({params.get('errorText')})")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            problems.append(f"JavaScript exception: {text.splitlines()[0] if text else details}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            problems.append(f"console error: {text[:300]}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            if entry.get("source") == "network":
                continue  # a failed request: counted below if it is the book's own, ignored if offline
            problems.append(f"console error ({entry.get('source')}): {entry.get('text', '')[:300]}")
        elif method == "Network.responseReceived":
            response = params["response"]
            if response["url"] == base_url + "favicon.ico":
                continue  # asked for by the browser itself, not by the book
            if response["url"].startswith(base_url) and response["status"] >= 400:
                problems.append(f"failed to load {response['url'][len(base_url):]} (HTTP {response['status']})")
    return problems


def check_page(session: DevTools, root: Path, base_url: str, page: str, anchors: _Anchors,
               screenshots: Path | None) -> PageReport:
    report = PageReport(page)
    start = time.monotonic()
    redirect = re.search(r"""<meta http-equiv=["']refresh["'] content=["']\d+;\s*url=([^"']+)["']""",
                         (root / page).read_text(encoding="utf-8"), re.IGNORECASE)
    if redirect:  # a redirect stub (the book's index.html): its target must exist, nothing to render
        target = urllib.parse.urljoin(base_url + page, redirect.group(1))
        report.problems = _link_problems([target], root, base_url, anchors)
        return report
    session.events.clear()
    navigation = session.call("Page.navigate", url=base_url + page)
    if "errorText" in navigation:
        report.problems.append(f"page did not load: {navigation['errorText']}")
        return report
    session.wait_for("Page.loadEventFired")
    session.evaluate(SETTLE)
    found = session.evaluate(COLLECT)
    problems = _event_problems(session.events, base_url)
    problems += [f"image did not load: {src}" for src in found["brokenImages"]]
    problems += _link_problems(found["links"], root, base_url, anchors)
    problems += [f"code cell output is an error: {text!r}" for text in found["errorOutputs"] + found["stderr"]]
    if found["untypeset"] and not found["mathjax"]:
        problems.append(f"MathJax did not run: {len(found['untypeset'])} expressions left as TeX, "
                        f"e.g. {found['untypeset'][0]!r}")
    else:
        problems += [f"maths not typeset: {tex!r}" for tex in found["untypeset"]]
    problems += [f"TeX error: {text!r}" for text in found["texErrors"]]
    problems += [f"raw maths in the text: {text!r}" for text in found["rawMath"]]
    report.problems += problems
    if screenshots is not None:
        report.screenshot = _screenshot(session, screenshots, page)
    report.seconds = time.monotonic() - start
    return report


def _screenshot(session: DevTools, folder: Path, page: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    metrics = session.call("Page.getLayoutMetrics")
    # The window's width (a wide code block scrolls inside it), the page's whole height.
    width = metrics["cssLayoutViewport"]["clientWidth"]
    height = min(metrics["cssContentSize"]["height"], 32000)
    # A window as tall as the page: capturing beyond a short window shifts some pages sideways.
    session.call("Emulation.setDeviceMetricsOverride", width=width, height=int(height), deviceScaleFactor=1,
                 mobile=False)
    shot = session.call("Page.captureScreenshot", format="png",
                        clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
    session.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
    path = folder / (page.removesuffix(".html").replace("/", "__") + ".png")
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def check_book(root: Path, pages: list[str] | None = None, screenshots: Path | None = None,
               chromium: str | None = None, progress: bool = False) -> BookReport:
    """Open every page of the built book at ``root`` and report its problems."""
    root = Path(root).resolve()
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium found (apt-get install chromium)")
    pages = book_pages(root) if pages is None else pages
    anchors = _Anchors(root)
    start = time.monotonic()
    with serve(root) as base_url, chromium_page(chromium, base_url, local_mathjax()) as session:
        reports = []
        for page in pages:
            reports.append(check_page(session, root, base_url, page, anchors, screenshots))
            if progress:
                print(f"{reports[-1].seconds:5.1f} s  {page}: {len(reports[-1].problems) or 'no'} problems", flush=True)
        blocked = set(session.blocked)
    return BookReport(reports, blocked, time.monotonic() - start)


def search_results(root: Path, query: str, chromium: str | None = None) -> list[str]:
    """The pages (relative paths) that the book's own search lists for ``query``."""
    chromium = chromium or find_chromium()
    with serve(Path(root).resolve()) as base_url, chromium_page(chromium, base_url, local_mathjax()) as session:
        session.call("Page.navigate", url=f"{base_url}search.html?q={urllib.parse.quote(query)}")
        session.wait_for("Page.loadEventFired")
        hrefs = session.evaluate("""(async () => {
          const start = Date.now();
          const summary = () => (document.querySelector("#search-results p.search-summary") || {}).innerText || "";
          while (!/Search finished|did not match/.test(summary()) && Date.now() - start < 20000)
            await new Promise((done) => setTimeout(done, 100));
          return [...document.querySelectorAll("#search-results ul.search li a")].map((a) => a.href);
        })()""")
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
