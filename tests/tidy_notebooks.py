"""Tidy the outputs of executed notebooks before they are committed.

    python tests/tidy_notebooks.py book/*.ipynb      (run by `make execute`)

A progress bar arrives as many stream messages, each redrawing the bar after a carriage return.
Merge consecutive messages of one stream into one output and keep each line's final state, which
is what a reader sees; nbval's sanitize file compares the same final state.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

REDRAWN = re.compile(r"[^\n]*\r(?=[^\n])")


def tidy_outputs(outputs: list[dict]) -> list[dict]:
    merged: list[dict] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output["output_type"] == "stream" and previous and previous["output_type"] == "stream"
                and previous["name"] == output["name"]):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            merged.append(output)
    for output in merged:
        if output["output_type"] == "stream":
            text = REDRAWN.sub("", "".join(output["text"]))
            output["text"] = text.splitlines(keepends=True)
    return merged


def main(paths: list[str]) -> None:
    for path in map(Path, paths):
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = tidy_outputs(cell.get("outputs", []))
        path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
