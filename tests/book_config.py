"""Write the Jupyter Book configuration a `make` target builds with, derived from _config.yml.

    python tests/book_config.py _build/config-book.yml                      # make book
    python tests/book_config.py _build/config-committed-outputs.yml --committed-outputs   # make test

Both make the local extensions' paths absolute (Jupyter Book resolves them relative to the
config file's folder). ``make book`` executes every chapter, except the Spark appendix where
Spark cannot start (it then shows its committed outputs, and this script says why);
``--committed-outputs`` executes nothing, for the build that follows nbval in ``make test``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import conftest  # noqa: E402  (the repository's conftest: where Spark can run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--committed-outputs", action="store_true", help="execute no notebook")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = config["sphinx"].get("local_extensions") or {}
    config["sphinx"]["local_extensions"] = {name: str((ROOT / path).resolve()) for name, path in extensions.items()}
    if args.committed_outputs:
        config["execute"]["execute_notebooks"] = "off"
    elif reason := conftest.spark_unavailable():
        config["execute"]["exclude_patterns"] = ["*" + conftest.SPARK_APPENDIX]
        print(f"make book: appendix A (Spark) shown with its committed outputs, not executed: {reason}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(yaml.safe_dump(config))


if __name__ == "__main__":
    main()
