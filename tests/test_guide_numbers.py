"""The interview guide's and the cheat sheet's numbers come from the book's measurements.

Every number with three or more significant figures in ``book/interview_guide.md`` and
``book/cheat_sheet.md`` must appear, at the precision the text gives, among the committed outputs
of the notebooks or in a committed benchmark result (``benchmarks/results/*.json``), as a value
or as a percentage of one. A figure worked out in the text (a capacity estimate, a size) is
listed in ``DERIVED`` with its arithmetic, which this test evaluates; a figure the text takes as
an assumption is listed in ``ASSUMED`` with the reason. Settings in code spans, section numbers,
link targets and years are not results and are skipped.

Timings come from cells nbval does not compare (they differ on every run); the text labels them
as measured on the machine that saved the book, and when a chapter is executed again this test
names the figures to update.
"""

import html
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["interview_guide.md", "cheat_sheet.md"]

# Figures worked out in the text: displayed figure → the arithmetic beside it (Python).
DERIVED = {
    "1,264": "math.floor(4 * math.sqrt(100_000))",  # IVF's default number of cells, 4√n
    # The design round (guide §2): traffic from its assumptions, memory from §5.2's bytes per vector
    "86,400": "24 * 60 * 60",  # seconds a day
    "50,000,000": "20_000_000 * 2.5",  # page views a day
    "579": "50_000_000 / 86_400",  # requests/s on average
    "1.25": "1 + 25 / 100",  # weekend days carry 25 % more events (§1.6)
    "1,809": "579 * 1.25 * 2.5",  # the peak
    "2.56": "1e7 * 64 * 4 / 1e9",  # GB of item vectors
    "5.28": "1e7 * 528 / 1e9",  # GB of HNSW
    "12.8": "5e7 * 64 * 4 / 1e9",  # GB of user vectors
    "216": "2.1610 * 100",  # ms of exact search at 10 million items
    # ... serving cores, from chapter 9's committed medians (§9.5)
    "1.010": "1.714 - 0.704",  # HTTP, JSON and the event loop
    "0.703": "0.171 + 0.152 + 0.218 + 0.162",  # the stages
    "1.713": "1.010 + 0.703",
    "584": "1000 / 1.713",
    "3.700": "10 * (0.152 + 0.218)",  # features and ranking at 500 candidates
    "6.710": "1.010 + 1.000 + 3.700 + 1.000",
    "149": "1000 / 6.710",
    "13.4": "2000 / 149",
    # ... logging and the experiment
    "4,320": "20 * 27 * 8",  # bytes of served features a response
    "1,505,368": "2 * 752_684",  # users in two arms (§11.2's sample size)
}
# Figures the text names as assumptions, not measurements: figure → why.
ASSUMED = {
    "20,000,000": "the design round's daily active users",
    "1.000": "the design round's budget of 1 ms for retrieval and for the rules, to be measured",
}

# A number as the text writes it: digits with optional thousands separators (a comma or a
# LaTeX thin space, \,) and decimals, and an optional sign (− or -).
NUMBER = re.compile(
    r"(?<![\w.§#/^_\\])(?P<sign>[−-])?(?P<digits>\d{1,3}(?:(?:,|\\,)\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w]|\.\d|,\d{3})"
)
OUTPUT_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?")


def significant_figures(digits: str) -> int:
    digits = digits.replace(",", "").replace("\\,", "")
    if "." in digits:
        return len(digits.replace(".", "").lstrip("0"))
    return len(digits.strip("0").lstrip("0")) if digits.strip("0") else 0


def prose(text: str) -> str:
    """The text without what holds no results: code, link targets, section references, anchors."""
    text = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"\(#[^)]*\)|\{#[^}]*\}", " ", text)
    text = re.sub(r"§\s*\d+[a-z]?(?:\.\d+)*", " ", text)
    text = re.sub(r"_\{[^{}]*\}", " ", text)  # subscripts: t_{0.975, n-1} is a quantile's name
    return text


def figures(text: str) -> list[tuple[str, str]]:
    """Each number of three or more significant figures in ``text``, with the words around it."""
    found = []
    for match in NUMBER.finditer(prose(text)):
        digits = match["digits"]
        if significant_figures(digits) < 3 or re.fullmatch(r"(19|20)\d\d", digits):
            continue
        around = match.string[max(0, match.start() - 60) : match.end() + 30].replace("\n", " ")
        found.append((digits.replace("\\,", ","), around))
    return found


def _output_values(texts) -> np.ndarray:
    """The numbers in ``texts``, each also as a percentage (0.317 is also 31.7 %), signs dropped."""
    values = np.abs([float(m.group().replace(",", "")) for m in OUTPUT_NUMBER.finditer("\n".join(texts))])
    return np.unique(np.concatenate([values, 100 * values]))


def notebook_values(path: Path) -> np.ndarray:
    """Every number in one notebook's committed outputs: streams, text and tables."""
    texts = []
    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            for kind in ["text/plain", "text/html", "text/markdown"]:
                shown = "".join(output.get("data", {}).get(kind, ""))
                texts.append(html.unescape(re.sub(r"<[^>]+>", " ", shown)))
    return _output_values(texts)


def benchmark_values() -> np.ndarray:
    """Every number in the committed benchmark results."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            found.append(repr(float(node)))

    for path in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        walk(json.loads(path.read_text())["results"])
    return _output_values(found)


def passages(text: str) -> list[tuple[str, set[str]]]:
    """The text's passages (a paragraph, a list item's paragraph, a table, a whole admonition), each
    with the notebooks whose outputs may back its figures: those it links to, else those the last
    linking passage of its section linked to, else none (meaning every notebook)."""
    found, lines, in_admonition = [], [], False
    for line in text.split("\n") + [""]:
        in_admonition = in_admonition or line.startswith(":::{admonition")
        lines.append(line)
        closes = line.strip() == ":::" if in_admonition else not line.strip()
        if closes:
            found.append("\n".join(lines))
            lines, in_admonition = [], False
    linked, section = [], set()
    for passage in found:
        if passage.lstrip().startswith("#"):
            section = set()
        section = set(re.findall(r"\b(\w+\.ipynb)\b", passage)) or section
        linked.append((passage, section))
    return linked


def shown_as(value: float, digits: str) -> bool:
    """Whether ``value`` is written ``digits`` at the precision ``digits`` shows."""
    plain = digits.replace(",", "")
    if "." in plain:
        decimals = len(plain.split(".")[1])
        return abs(round(value, decimals) - float(plain)) < 10 ** (-decimals) / 2
    zeros = len(plain) - len(plain.rstrip("0"))  # 25,500 is 25,5xx rounded to hundreds
    step = 10**zeros
    return abs(round(value / step) * step - int(plain)) < 0.5


@pytest.fixture(scope="module")
def measured() -> dict:
    """Notebook name → the numbers in its outputs; "benchmarks" → those of the benchmark results."""
    values = {path.name: notebook_values(path) for path in sorted((ROOT / "book").glob("*.ipynb"))}
    return values | {"benchmarks": benchmark_values()}


def test_the_reading_of_numbers_on_hand_made_text():
    text = (
        "NDCG 0.2656 against −0.0007 [−0.0067, +0.0053]; 1,137 requests/s; $752\\,684$ users; "
        "about 25,500 per arm; 69 % of users; `reg=1000.0`; see [§11.6](11_ab.ipynb#116-cuped) "
        "and §4d.2; in 1998; 100,000 items; Q41; 8 machines."
    )
    assert [digits for digits, _ in figures(text)] == ["0.2656", "1,137", "752,684", "25,500"]
    assert shown_as(25_512.0, "25,500") and not shown_as(25_561.0, "25,500")
    assert shown_as(0.26564, "0.2656") and not shown_as(0.26566, "0.2656")
    assert shown_as(1137.4, "1,137") and not shown_as(1137.6, "1,137")


def test_derived_figures_follow_from_their_arithmetic():
    for digits, arithmetic in DERIVED.items():
        value = eval(arithmetic, {"math": math})  # the arithmetic is this file's own constants
        assert shown_as(value, digits), f"{arithmetic} = {value}, which the text would not write as {digits}"


@pytest.mark.parametrize("name", TEXTS)
def test_every_figure_is_measured_derived_or_assumed(measured, name):
    """Each figure is checked against the outputs of the notebooks its passage links to (and the
    benchmark results): a figure that merely occurs in some other chapter's output does not count."""
    unexplained, used = set(), set()
    for passage, notebooks in passages((ROOT / "book" / name).read_text()):
        sources = [measured[notebook] for notebook in notebooks] if notebooks else list(measured.values())
        values = np.concatenate([*sources, measured["benchmarks"]])
        for digits, around in figures(passage):
            used.add(digits)
            if digits in DERIVED or digits in ASSUMED:
                continue
            if not any(shown_as(value, digits) for value in _near(values, digits)):
                unexplained.add(f"{digits}  (… {around} …)  checked against {sorted(notebooks) or 'every notebook'}")
    assert not unexplained, (
        f"{name}: {len(unexplained)} figure(s) appear in no committed output of the notebooks they link to "
        "or benchmark result. Update them from the outputs, or list a worked figure in DERIVED with its "
        "arithmetic:\n" + "\n".join(sorted(unexplained))
    )


def test_every_listed_figure_is_still_in_the_texts():
    used = {digits for name in TEXTS for digits, _ in figures((ROOT / "book" / name).read_text())}
    stale = [digits for digits in [*DERIVED, *ASSUMED] if digits not in used]
    assert not stale, f"listed in DERIVED or ASSUMED but no longer in the texts: {stale}"


def test_a_figure_is_checked_against_the_chapters_its_passage_links_to():
    text = (
        "## Serving\n\nA p99 of 0.281 ms ([§9.5](09_serving.ipynb#95)).\n\n"
        "Also 0.704 ms.\n\n## Another\n\nNDCG 0.2656.\n"
    )
    linked = [(notebooks, [d for d, _ in figures(passage)]) for passage, notebooks in passages(text)]
    assert ({"09_serving.ipynb"}, ["0.281"]) in linked and ({"09_serving.ipynb"}, ["0.704"]) in linked
    assert (set(), ["0.2656"]) in linked


def _near(values: np.ndarray, digits: str) -> np.ndarray:
    """The values close enough to ``digits`` to be written as it (a cheap pre-filter)."""
    target = float(digits.replace(",", ""))
    return values[np.abs(values - target) <= max(1.0, 0.05 * target)]
