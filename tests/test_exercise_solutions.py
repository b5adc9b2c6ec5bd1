"""Every chapter's exercises: the layout a reader relies on, and worked solutions that pass.

An exercise is four cells (see `recsys_tutorial.exercises`): the task, ``answer_N = None``, the
check ``chNN.check_N(answer_N)``, and a markdown ``<details>`` block holding the solution in a
fenced ``python`` block. The committed notebooks run with the answers blank, so nbval sees only
"No answer yet". `solved` pastes every solution into its answer cell and turns each check into an
assertion; ``make test`` writes every chapter so solved (``python tests/test_exercise_solutions.py
OUT_DIR``) and runs the copies under strict nbval. That one pass checks both that the worked
solutions pass and that every other cell reproduces its committed output; the committed
notebooks then run once more with the older CPU's kernels.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]*_*.ipynb"))  # 04_…, and a chapter's later parts 04b_…, 04c_…
HOW_EXERCISES_WORK = "How the exercises work"

ANSWER = re.compile(r"^answer_(\d+) = None\b")
CHECK = re.compile(r"\bch\d\d[a-z]?\.check_(\d+)\(answer_(\d+)\)")
SOLUTION = re.compile(r"<details>\s*<summary>Solution.*?```python\n(.*?)```.*?</details>", re.S)


def exercises(notebook) -> dict[int, dict]:
    """Exercise number → indices of its answer and check cells, and the solution's code."""
    found: dict[int, dict] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and (match := ANSWER.match(cell.source)):
            found.setdefault(int(match[1]), {})["answer"] = index
        elif cell.cell_type == "code" and (match := CHECK.search(cell.source)):
            assert match[1] == match[2], f"cell {index} checks answer_{match[2]} with check_{match[1]}"
            found.setdefault(int(match[1]), {})["check"] = index
        elif cell.cell_type == "markdown" and (match := SOLUTION.search(cell.source)):
            number = re.search(r"\banswer_(\d+)\s*=", match[1])
            assert number, f"the solution in cell {index} never sets answer_N"
            found.setdefault(int(number[1]), {})["solution"] = match[1]
    return found


def _text(outputs) -> str:
    parts = []
    for output in outputs:
        if "text" in output:
            parts.append(output["text"])
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercises_are_blank_checked_and_solved_below(path):
    notebook = nbformat.read(path, as_version=4)
    found = exercises(notebook)
    # A chapter has at least three exercises; a later part of one (04b, 04c) at least two of its own.
    minimum = 3 if path.stem[2] == "_" else 2
    assert len(found) >= minimum, f"{path.name}: {len(found)} exercises, at least {minimum} expected"
    assert any(HOW_EXERCISES_WORK in cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    for number, parts in sorted(found.items()):
        assert set(parts) == {"answer", "check", "solution"}, f"{path.name} exercise {number}: {sorted(parts)}"
        assert parts["answer"] < parts["check"], f"{path.name} exercise {number}: check before answer"
        shown = _text(notebook.cells[parts["check"]].outputs)
        assert shown.startswith("✏️ No answer yet"), f"{path.name} exercise {number} shows: {shown[:80]!r}"


def solved(notebook):
    """A copy of ``notebook`` with every worked solution pasted into its answer cell.

    Each check cell asserts that its check passes. Both kinds of cell are tagged
    ``nbval-ignore-output``; every other cell keeps its committed outputs, which nbval compares.
    """
    copy_ = copy.deepcopy(notebook)
    for number, parts in sorted(exercises(copy_).items()):
        answer, check = copy_.cells[parts["answer"]], copy_.cells[parts["check"]]
        answer.source = parts["solution"]
        check.source = (f"_verdict = {check.source.strip()}\n"
                        f"assert _verdict.passed, f\"exercise {number}: {{_verdict}}\"\n_verdict")
        for cell in (answer, check):
            tags = cell.metadata.setdefault("tags", [])
            if "nbval-ignore-output" not in tags:
                tags.append("nbval-ignore-output")
    return copy_


def test_a_solved_copy_pastes_the_solution_and_asserts_the_check():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 2"),
        nbformat.v4.new_code_cell("answer_1 = None  # a float"),
        nbformat.v4.new_code_cell("ch09.check_1(answer_1)"),
        nbformat.v4.new_markdown_cell(
            "<details>\n<summary>Solution</summary>\n\n```python\nanswer_1 = x + 1\n```\n\n</details>"
        ),
    ])
    copy_ = solved(notebook)
    assert copy_.cells[0] == notebook.cells[0] and copy_.cells[3] == notebook.cells[3]
    assert copy_.cells[1].source == "answer_1 = x + 1\n"
    assert copy_.cells[2].source.startswith("_verdict = ch09.check_1(answer_1)\nassert _verdict.passed")
    assert all(copy_.cells[i].metadata["tags"] == ["nbval-ignore-output"] for i in (1, 2))
    assert notebook.cells[1].source == "answer_1 = None  # a float"  # the original is untouched


def main(out_dir: str) -> None:
    """Write every chapter, solved, to ``out_dir`` (for ``make test-other-cpu``)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for path in CHAPTERS:
        nbformat.write(solved(nbformat.read(path, as_version=4)), out / path.name)
    print(f"{len(CHAPTERS)} chapters with their worked solutions written to {out}/")


if __name__ == "__main__":
    main(sys.argv[1])
