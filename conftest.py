"""pytest hooks for the whole repository: the Spark appendix runs only where Spark can."""

from __future__ import annotations

import importlib.util

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


def pytest_collection_modifyitems(config, items):
    appendix = [item for item in items if SPARK_APPENDIX in item.nodeid]
    reason = spark_unavailable() if appendix else None
    if reason:
        for item in appendix:
            item.add_marker(pytest.mark.skip(reason=f"appendix A (Spark) not run: {reason}"))


# Without pyspark, recsys_tutorial/spark.py cannot be imported, so its doctests are not collected.
collect_ignore = [] if importlib.util.find_spec("pyspark") else ["recsys_tutorial/spark.py"]
