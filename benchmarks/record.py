"""What every benchmark shares: its ``--smoke`` and ``--out`` options, and the results file it writes.

A results file is one JSON object: the benchmark's name, the command line, whether it was a smoke
run, when it ran (UTC), the machine (CPU model, cores, memory, operating system, Python and the
versions of the libraries that do the work), the commit of the repository, the parameters, one
row per measurement, and the bars with the value each one was checked against.

A full run writes ``benchmarks/results/<name>.json``, the file the README and the book cite; a
smoke run (the smallest inputs that exercise every code path, seconds each; its timings mean
nothing) writes ``_build/bench-smoke/<name>.json``. Either replaces only a results file of the same
benchmark: any other file at that path is left alone, and the run stops before it measures
anything.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The distributions whose versions a result depends on (those installed are recorded).
LIBRARIES = ("recsys-tutorial", "numpy", "scipy", "pandas", "torch", "faiss-cpu", "lightgbm", "scikit-learn",
             "implicit", "pyspark", "duckdb", "polars", "fastapi", "uvicorn")  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--smoke`` and ``--out`` to a benchmark's command line."""
    parser.add_argument(
        "--smoke", action="store_true",
        help="the smallest inputs that exercise every code path (seconds; the bars are not checked)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path,
        help="where to write the results as JSON (default: benchmarks/results/<name>.json, or "
             "_build/bench-smoke/<name>.json with --smoke)",
    )  # fmt: skip


def results_path(name: str, args: argparse.Namespace) -> Path:
    """Where this run writes its results; stops with a message if that path holds anything else.

    Called before measuring, so that a run that could not record its results does not start.
    """
    path = args.out or (ROOT / "_build" / "bench-smoke" if args.smoke else ROOT / "benchmarks" / "results") / (
        name + ".json"
    )
    if path.is_dir():
        sys.exit(f"{name}: --out {path} is a folder; expected the path of a JSON file")
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError):
            previous = None
        if not isinstance(previous, dict) or previous.get("benchmark") != name:
            sys.exit(f"{name}: {path} exists and is not a results file of {name}; "
                     "move it away or pass another --out")  # fmt: skip
    return path


def machine() -> dict:
    """The CPU, cores, memory, operating system, Python and library versions of this machine."""
    cpu = platform.processor() or platform.machine()
    memory_gb, vector_extensions = None, None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
        flags = set(next(line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")))
        # Which SIMD kernels the maths libraries can pick: the timings depend on it.
        vector_extensions = [flag for flag in ("sse4_2", "avx", "avx2", "fma", "avx512f") if flag in flags]
        meminfo = Path("/proc/meminfo").read_text()
        kib = next(int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("MemTotal:"))
        memory_gb = round(kib / 1024**2, 1)
    except (OSError, StopIteration):
        pass  # not Linux: the platform module's description stands
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = {}
    for library in LIBRARIES:
        try:
            versions[library] = metadata.version(library)
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": cpu,
        "vector_extensions": vector_extensions,
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": memory_gb,
        "os": platform.platform(),
        "python": platform.python_version(),
        "libraries": versions,
    }


def _commit() -> str | None:
    """The repository's commit, with ``+changes`` when the working tree differs from it.

    The results files do not count: one benchmark's run must not mark the next one's as changed.
    """
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                 ":(exclude)benchmarks/results"], cwd=ROOT,
                                capture_output=True, text=True, check=True)  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+changes" if status.stdout.strip() else "")


def check(value: float, bar: float, *, at_most: bool) -> dict:
    """A bar as recorded: the value measured, the bar, and whether the value met it."""
    ok = value <= bar if at_most else value >= bar
    return {"value": value, "bar": f"{'<=' if at_most else '>='} {bar:g}", "ok": bool(ok)}


def write(
    path: Path, name: str, args: argparse.Namespace, *, parameters: dict, results: list[dict], checks: dict
) -> None:
    """Write the results file of one run, and say where."""
    record = {
        "benchmark": name,
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "smoke": bool(args.smoke),
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "commit": _commit(),
        "parameters": parameters,
        "results": results,
        "checks": checks,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, default=_plain) + "\n")
    print(f"results written to {path}")


def _plain(value):
    """JSON for NumPy scalars and paths."""
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def exit_status(args: argparse.Namespace, checks: dict) -> int:
    """0 when every bar was met, 1 when one was missed; a smoke run's bars are recorded, not judged."""
    if args.smoke:
        print("smoke run: every code path ran; at this size the bars are not judged")
        return 0
    return 0 if all(entry["ok"] for entry in checks.values()) else 1
