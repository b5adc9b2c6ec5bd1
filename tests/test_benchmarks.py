"""Every script in benchmarks/ runs at its smoke size and writes a results file.

The smoke size is the smallest input that exercises every code path, so a benchmark that no
longer runs fails here rather than in front of a reader. What the scripts measure at that size
means nothing; their bars are recorded but not judged, and nothing here asserts a timing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = sorted(path.stem for path in BENCHMARKS.glob("*.py") if path.stem != "record")
#: Scripts whose smoke run takes more than about ten seconds here (a service, a JVM, many fits).
SLOW = {"bench_serving", "bench_spark", "bench_two_stage", "tune_embeddings", "tune_ranking"}


def _unavailable(script: str) -> str | None:
    """Why a script's external tool is missing here, or None."""
    if script == "bench_serving" and shutil.which("wrk") is None:
        return "bench_serving needs wrk (apt-get install wrk; brew install wrk)"
    if script == "bench_spark":
        missing = [name for name in ("duckdb", "polars") if importlib.util.find_spec(name) is None]
        if missing:
            return f"bench_spark runs {' and '.join(missing)}, not installed here (pip install -e '.[bench]')"
        # The repository's conftest.py (tests/ has its own, which `import conftest` would find).
        spec = importlib.util.spec_from_file_location("repository_conftest", ROOT / "conftest.py")
        repository_conftest = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(repository_conftest)
        return repository_conftest.spark_unavailable()
    if script == "bench_als" and importlib.util.find_spec("implicit") is None:
        return "bench_als compares with implicit, which is not installed (pip install -e '.[bench]')"
    return None


def test_every_script_is_covered():
    assert SCRIPTS == ["bench_als", "bench_ann", "bench_metrics_features", "bench_serving", "bench_spark",
                       "bench_synthetic", "bench_two_stage", "tune_bandits", "tune_embeddings",
                       "tune_ranking"]  # fmt: skip


#: Further runs of one script, with the arguments and the results name they record.
VARIANTS = [
    ("tune_embeddings", ["--protocol", "temporal"], "tune_embeddings_temporal"),
    ("tune_embeddings", ["--world", "synthetic"], "tune_embeddings_synthetic"),
]


@pytest.mark.parametrize(
    ("script", "arguments", "name"),
    [pytest.param(name, [], name, marks=[pytest.mark.slow] if name in SLOW else [], id=name) for name in SCRIPTS]
    + [pytest.param(*variant, marks=[pytest.mark.slow], id=variant[2]) for variant in VARIANTS],
)
def test_smoke_run_records_its_results(script, arguments, name, tmp_path):
    reason = _unavailable(script)
    if reason:
        pytest.skip(reason)
    out = tmp_path / f"{name}.json"
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{script}.py"), *arguments, "--smoke", "--out", str(out)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    assert run.returncode == 0, f"{script} --smoke exited {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    result = json.loads(out.read_text())
    assert result["benchmark"] == name and result["smoke"] is True
    assert result["machine"]["cpu"] and result["machine"]["logical_cores"] >= 1
    assert result["machine"]["libraries"]["numpy"]
    assert result["results"], f"{script} recorded no measurement"
    assert all(set(entry) == {"value", "bar", "ok"} for entry in result["checks"].values())
    assert f"results written to {out}" in run.stdout


def test_a_results_file_replaces_only_its_own(tmp_path):
    """A run refuses to overwrite a file that is not a results file of the same benchmark."""
    script = str(BENCHMARKS / "bench_synthetic.py")
    thesis = tmp_path / "thesis.json"
    thesis.write_text('{"chapter": 1}')
    run = subprocess.run([sys.executable, script, "--smoke", "--out", str(thesis)], capture_output=True, text=True)
    assert run.returncode != 0 and "is not a results file of bench_synthetic" in run.stderr
    assert thesis.read_text() == '{"chapter": 1}'

    own = tmp_path / "bench_synthetic.json"
    for _ in range(2):  # the second run replaces the first run's file
        run = subprocess.run([sys.executable, script, "--smoke", "--out", str(own)], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    assert json.loads(own.read_text())["benchmark"] == "bench_synthetic"
