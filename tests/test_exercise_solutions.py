"""Every chapter's exercises: the layout a reader relies on, and worked solutions that pass.

An exercise is four cells (see `recsys_tutorial.exercises`): the task, ``answer_N = None``, the
check ``chNN.check_N(answer_N)``, and a markdown ``<details>`` block holding the solution in a
fenced ``python`` block. The committed notebooks run with the answers blank, so nbval sees only
"No answer yet". Here each chapter is run once more with every solution pasted into its answer
cell, and every check must say "Correct".
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_worked_solutions_pass_their_checks(path):
    notebook = nbformat.read(path, as_version=4)
    found = exercises(notebook)
    solved = copy.deepcopy(notebook)
    for parts in found.values():
        solved.cells[parts["answer"]].source = parts["solution"]
    NotebookClient(solved, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    for number, parts in sorted(found.items()):
        verdict = _text(solved.cells[parts["check"]].outputs)
        assert verdict.startswith("✅ Correct"), f"{path.name} exercise {number}: {verdict[:300]}"
