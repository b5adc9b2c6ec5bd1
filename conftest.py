"""pytest hooks for the whole repository: the Spark appendix runs only where Spark can, and the
longest notebooks run first."""

from __future__ import annotations

import functools
import importlib.util
import json
from datetime import datetime
from pathlib import Path

import pytest

SPARK_APPENDIX = "13_spark_appendix.ipynb"


def spark_unavailable() -> str | None:
    """Why Spark cannot run here (the README says how to fix it), or None when it can."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    from recsys_tutorial.spark import SUPPORTED_JAVA, java_version

    version = java_version()
    if version not in SUPPORTED_JAVA:
        found = "no Java" if version is None else f"Java {version}"
        return f"Spark needs Java 17 or 21 and found {found} (see the README's 'Spark' section)"
    return None


@functools.cache
def notebook_seconds(path: Path) -> float:
    """How long the notebook's cells took when it was last executed (their execution metadata)."""
    seconds = 0.0
    for cell in json.loads(path.read_text()).get("cells", []):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            started, ended = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                              for key in ("iopub.execute_input", "shell.execute_reply"))
            seconds += (ended - started).total_seconds()
    return seconds


def pytest_collection_modifyitems(config, items):
    appendix = [item for item in items if SPARK_APPENDIX in item.nodeid]
    reason = spark_unavailable() if appendix else None
    if reason:
        for item in appendix:
            item.add_marker(pytest.mark.skip(reason=f"appendix A (Spark) not run: {reason}"))
    # Longest first: pytest-xdist (--dist loadfile) hands out whole files in this order, so the
    # two-minute chapters start at once and the short ones and the unit tests fill in at the end,
    # instead of one worker running the last long chapter alone. The sort is stable: each file's
    # items keep their order, and so does everything that is not a notebook.
    items.sort(key=lambda item: -notebook_seconds(item.path) if item.path.suffix == ".ipynb" else 0.0)


# Without pyspark, recsys_tutorial/spark.py cannot be imported, so its doctests are not collected.
collect_ignore = [] if importlib.util.find_spec("pyspark") else ["recsys_tutorial/spark.py"]
