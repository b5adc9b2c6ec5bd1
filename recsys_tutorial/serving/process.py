"""Run the service in a background process, for notebooks, tests and benchmarks.

`BackgroundService` starts ``recsys-tutorial serve`` as a child process, waits until ``/health``
answers, and offers small JSON helpers. The child never outlives its parent: on Linux it is
started with a parent-death signal, and `stop` runs at the latest when the parent exits (or the
object is collected), so a failing notebook cell or a crashed kernel leaves no orphan service.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref

__all__ = ["BackgroundService"]


class BackgroundService:
    """``recsys-tutorial serve`` in a child process.

    >>> with BackgroundService("bundle") as service:          # doctest: +SKIP
    ...     service.post("/recommend", {"user_id": 7, "k": 5})
    """

    def __init__(self, bundle_dir, port: int | None = None, impressions=None, faults=None, budget_ms: float = 50.0,
                 startup_timeout: float = 120.0):
        self.bundle_dir = str(bundle_dir)
        self.port = port or _free_port()
        self.impressions = impressions
        self.faults = dict(faults or {})
        self.budget_ms = budget_ms
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BackgroundService:
        command = [sys.executable, "-m", "recsys_tutorial.serving.cli", "serve", self.bundle_dir,
                   "--port", str(self.port), "--budget-ms", str(self.budget_ms)]
        if self.impressions:
            command += ["--impressions", str(self.impressions)]
        for stage, kind in self.faults.items():
            command += ["--fault", f"{stage}={kind}"]
        self._log = tempfile.TemporaryFile()  # the service's log: a file, so it never blocks on a full pipe
        self.process = subprocess.Popen(command, env={**os.environ, "OMP_NUM_THREADS": "1"},
                                        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                                        stdout=subprocess.DEVNULL, stderr=self._log)
        self._finalizer = weakref.finalize(self, _terminate, self.process)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.seek(0)
                error = self._log.read().decode(errors="replace").strip().splitlines()
                # The exception's own line ("...BundleError: ... missing") says more than uvicorn's last one.
                reason = next((line for line in reversed(error) if "Error: " in line and not line.startswith("ERROR:")),
                              error[-1] if error else "no message")
                raise RuntimeError(f"the service exited with code {self.process.returncode}: {reason.strip()}")
            try:
                self.get("/health")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"the service did not answer /health within {self.startup_timeout:g} s")

    def stop(self) -> int | None:
        """Stop the service (SIGTERM, then SIGKILL after 10 s); its exit code."""
        if self.process is None:
            return None
        code = _terminate(self.process)
        self._finalizer.detach()
        return code

    def kill(self) -> None:
        """End the service at once (SIGKILL), as a crash would."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def get(self, path: str) -> dict | str:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            body = response.read().decode()
            return json.loads(body) if response.headers.get_content_type() == "application/json" else body

    def post(self, path: str, body) -> tuple[int, dict]:
        """``(status, JSON body)``; ``body`` is sent as JSON, or as it is when it is ``bytes``."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def __enter__(self) -> BackgroundService:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _terminate(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
