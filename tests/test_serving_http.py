"""The HTTP service: the FastAPI app, its edges under hostile input, the impression log, the
command line and the background process.

Most tests drive the app in process (FastAPI's TestClient runs its lifespan: the bundle is
loaded and verified as in a real start-up); a few start ``recsys-tutorial serve`` for real.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from recsys_tutorial.serving import cli
from recsys_tutorial.serving import process as serving_process
from recsys_tutorial.serving.api.impressions import ImpressionLog
from recsys_tutorial.serving.api.limits import MAX_BODY_BYTES
from recsys_tutorial.serving.app import create_app
from recsys_tutorial.serving.bundle import BundleError
from recsys_tutorial.serving.path import RequestPath


@pytest.fixture(scope="module")
def world(serving_world):
    return serving_world  # the world of conftest's bundle_dir (the session's default world is larger)


@pytest.fixture(scope="module")
def as_of(snapshot_time):
    return snapshot_time


@pytest.fixture(scope="module")
def request_path(bundle, as_of):
    """The request path the app builds, in process: the same budget and the same fixed clock."""
    return RequestPath(bundle, budget_ms=50.0, clock=as_of)


@pytest.fixture(scope="module")
def client(bundle_dir, tmp_path_factory):
    impressions = tmp_path_factory.mktemp("logs") / "impressions.jsonl"
    with TestClient(create_app(bundle_dir, impressions_path=impressions, clock="snapshot")) as test_client:
        test_client.impressions = impressions
        yield test_client


def _post(client, body: bytes, **headers):
    return client.post("/recommend", content=body, headers={"content-type": "application/json", **headers})


# --- answers ----------------------------------------------------------------------------------


def test_recommend_returns_the_request_paths_answer(client, request_path, bundle, as_of):
    response = client.post("/recommend", json={"user_id": 11, "k": 7})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "scores", "fallback", "timings_ms", "bundle_id", "at"}
    expected = request_path.recommend(11, 7)
    assert body["items"] == expected.items and len(body["items"]) == 7 and body["fallback"] is None
    assert body["scores"] == pytest.approx(expected.scores)
    assert body["bundle_id"] == bundle.bundle_id and pd.Timestamp(body["at"]) == as_of
    assert set(body["timings_ms"]) == {"retrieval", "features", "ranking", "rules", "total"}
    assert client.post("/recommend", json={"user_id": 11}).json()["items"][:7] == body["items"]  # k defaults to 10


def test_a_request_is_answered_at_its_own_time(client, request_path, as_of):
    later = as_of + pd.Timedelta(days=3, hours=5)
    naive = client.post("/recommend", json={"user_id": 11, "k": 10, "at": later.isoformat()}).json()
    zoned = client.post("/recommend", json={"user_id": 11, "k": 10,
                                            "at": (later.tz_localize("UTC").tz_convert("Asia/Tokyo")).isoformat()})
    assert pd.Timestamp(naive["at"]) == later and zoned.json() | {"timings_ms": None} == naive | {"timings_ms": None}
    assert naive["items"] == request_path.recommend(11, 10, at=later).items


def test_unknown_users_get_popular_items(client, bundle):
    for user in (bundle.manifest["n_users"], 10**7, 2**63 - 1):
        response = client.post("/recommend", json={"user_id": user, "k": 5})
        assert response.status_code == 200 and response.json()["fallback"].startswith("unknown user")
        assert len(response.json()["items"]) == 5 and response.json()["scores"] == [None] * 5


def test_a_failing_stage_is_a_fallback_not_an_error(bundle_dir):
    with TestClient(create_app(bundle_dir, faults={"ranking": "error"}, clock="snapshot")) as faulty:
        response = faulty.post("/recommend", json={"user_id": 11, "k": 10})
    assert response.status_code == 200 and response.json()["fallback"].startswith("ranking failed")
    assert "RuntimeError" not in response.text  # what happened, not which exception


def test_concurrent_requests_get_the_answers_of_sequential_ones(client):
    users = [(7 * u) % 450 for u in range(50)]  # a few past the last user: popular items
    sequential = [client.post("/recommend", json={"user_id": u, "k": 10}).json()["items"] for u in users]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda u: client.post("/recommend", json={"user_id": u, "k": 10}).json()["items"],
                                   users))  # fmt: skip
    assert concurrent == sequential


# --- hostile input: always a 4xx with a reason, never a 5xx, never the input echoed ------------


@pytest.mark.parametrize("body", [
    b"{not json", b"", b"null", b"[1, 2]", b'"user 7"', b'{"k": 5}', b'{"user_id": null}',
    b'{"user_id": "11"}', b'{"user_id": 11.5}', b'{"user_id": 11.0}', b'{"user_id": true}', b'{"user_id": [11]}',
    b'{"user_id": -1}', b'{"user_id": 9223372036854775808}', b'{"user_id": 1e400}', b'{"user_id": NaN}',
    b'{"user_id": 11, "k": 0}', b'{"user_id": 11, "k": -5}', b'{"user_id": 11, "k": 101}',
    b'{"user_id": 11, "k": 100000000000000000000000000000}', b'{"user_id": 11, "k": "10"}',
    b'{"user_id": 11, "debug": true}', b'{"user_id": 11, "at": 1719792000}', b'{"user_id": 11, "at": "yesterday"}',
    b'{"user_id": 11, "at": "9999-12-31T00:00:00"}', b'{"user_id": 11, "at": ["2024-07-01"]}',
])  # fmt: skip
def test_malformed_requests_get_a_4xx_with_a_reason(client, body):
    response = _post(client, body)
    assert 400 <= response.status_code < 500, (body, response.status_code)
    detail = response.json()["detail"]
    assert detail and all(set(error) == {"loc", "msg", "type"} for error in detail), detail


def test_a_request_before_the_snapshot_is_refused_with_the_reason(client, as_of):
    early = (as_of - pd.Timedelta(hours=1)).isoformat()
    response = client.post("/recommend", json={"user_id": 11, "at": early})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["type"] == "before_snapshot" and error["loc"] == ["body", "at"] and "snapshot" in error["msg"]
    assert early not in response.text


def test_responses_never_echo_the_input(client):
    script = "<script>alert(1)</script>"
    for body in ({"user_id": script}, {"user_id": 11, script: script}, {"user_id": 11, "k": script},
                 {"user_id": 11, "at": script}, {"user_id": [script] * 3}):  # fmt: skip
        response = client.post("/recommend", json=body)
        assert response.status_code == 422 and "script" not in response.text, response.text
    assert "1e400" not in _post(client, b'{"user_id": 1e400}').text


def test_oversized_and_deeply_nested_bodies_are_refused(client):
    huge = b'{"user_id": 11, "padding": "' + b"x" * 2_000_000 + b'"}'  # 2 MB
    assert _post(client, huge).status_code == 413
    assert "bytes" in _post(client, huge).json()["detail"]

    def chunks():  # no Content-Length: the limit is counted as the body arrives
        yield b'{"user_id": 11, "padding": "'
        for _ in range(100):
            yield b"x" * 1_000
        yield b'"}'

    assert _post(client, chunks()).status_code == 413
    assert _post(client, b"[" * 100_000 + b"]" * 100_000).status_code == 413  # too deep, and too big
    nested = b'{"user_id": ' + b"[" * 1_500 + b"]" * 1_500 + b"}"  # as deep as fits the limit
    assert len(nested) < MAX_BODY_BYTES and 400 <= _post(client, nested).status_code < 500
    assert _post(client, b'{"user_id": 11}', **{"content-length": "a lot"}).status_code == 400
    assert client.post("/recommend", json={"user_id": 11}).status_code == 200  # and the service still answers


# --- health, metrics and the impression log -------------------------------------------------


def test_health_and_metrics(client, bundle):
    client.post("/recommend", json={"user_id": 2, "k": 4})
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["bundle"]["bundle_id"] == bundle.bundle_id
    assert health["bundle"]["n_items"] == 300 and health["requests_served"] >= 1
    assert health["clock"].startswith("fixed at the snapshot") and health["process"] == os.getpid()
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'recsys_stage_seconds_bucket{le="0.005",stage="ranking"}' in metrics.text
    assert 'recsys_requests_total{outcome="ok"}' in metrics.text
    assert 'recsys_refused_requests_total{status="422"}' in metrics.text


def test_the_impression_log_holds_what_was_served(client, bundle):
    served = client.post("/recommend", json={"user_id": 3, "k": 6}).json()
    unknown = client.post("/recommend", json={"user_id": 10**6, "k": 2}).json()
    _wait_until(lambda: client.get("/health").json()["impressions"]["written"] == client.get("/health").json()[
        "requests_served"])  # fmt: skip
    logged = [json.loads(line) for line in client.impressions.read_text().splitlines()]
    assert len(logged) == client.get("/health").json()["requests_served"]
    assert [entry["request"] for entry in logged] == list(range(1, len(logged) + 1))
    *_, ranked, popular = logged
    assert ranked["user_id"] == 3 and ranked["k"] == 6 and ranked["items"] == served["items"]
    assert ranked["bundle_id"] == bundle.bundle_id and ranked["at"] == served["at"] and ranked["fallback"] is None
    # The served feature vectors, one per item, in the ranker's column order; a propensity per item.
    assert ranked["feature_columns"] == bundle.manifest["feature_columns"]
    assert len(ranked["features"]) == 6 and {len(row) for row in ranked["features"]} == {len(ranked["feature_columns"])}
    assert ranked["propensities"] == [1.0] * 6
    assert popular["items"] == unknown["items"] and popular["features"] is None and popular["propensities"] == [1.0] * 2


def test_the_impression_log_is_written_by_its_own_thread_and_never_blocks(tmp_path):
    path = tmp_path / "impressions.jsonl"
    log = ImpressionLog(path, ["x"], max_queued=3, linger_s=0.3).open()
    assert "impression-log" in {thread.name for thread in threading.enumerate()}
    started = time.perf_counter()
    accepted = [log.put(log.line({"request": n, "items": [n]})) for n in range(1, 6)]
    assert time.perf_counter() - started < 0.1  # never waits for the file
    assert path.read_bytes() == b""  # the writer is lingering: the caller wrote nothing
    # Three queued (and one taken by the writer, if it was quick enough); the rest dropped and counted.
    kept = sum(accepted)
    assert kept in (3, 4) and accepted == [True] * kept + [False] * (5 - kept) and log.dropped == 5 - kept
    log.close()
    assert [json.loads(line)["request"] for line in path.read_text().splitlines()] == list(range(1, kept + 1))
    assert log.written == kept


# --- start-up: bad bundles stop it ---------------------------------------------------------------


def test_a_bad_bundle_stops_the_start_up(tmp_path, bundle_dir):
    with pytest.raises(BundleError, match="not a directory"):
        with TestClient(create_app(tmp_path / "nothing")):
            pass
    tampered = _copy_bundle(bundle_dir, tmp_path / "tampered")
    ranker = tampered / "current" / "ranker.txt"
    ranker.write_text(ranker.read_text().replace("0", "1", 1))  # one digit of one threshold
    with pytest.raises(BundleError, match="corrupted"):
        with TestClient(create_app(tampered)):
            pass
    assert cli.main(["serve", str(tampered)]) == 1


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("argv, message", [
    (["build-bundle", "out", "--dataset", "imagenet"], "invalid choice"),
    (["build-bundle", "out", "--n-items", "50"], "integer ≥ 100"),
    (["build-bundle", "out", "--n-items", "many"], "integer ≥ 100"),
    (["build-bundle", "out", "--n-candidates", "0"], "integer ≥ 1"),
    (["build-bundle", "out", "--dataset", "movielens", "--n-items", "500"], "MovieLens-100K has its own"),
    (["serve", "b", "--port", "0"], "port number in 1..65535"),
    (["serve", "b", "--port", "65536"], "port number in 1..65535"),
    (["serve", "b", "--budget-ms", "0"], "positive number of milliseconds"),
    (["serve", "b", "--budget-ms", "nan"], "positive number of milliseconds"),
    (["serve", "b", "--fault", "ranking"], "STAGE=error or STAGE=slow"),
    (["serve", "b", "--fault", "rankng=error"], "retrieval, features, ranking, rules"),
    (["serve", "b", "--fault", "ranking=sometimes"], "STAGE=error or STAGE=slow"),
    (["serve", "b", "--now", "yesterday"], "'snapshot' or an ISO-8601 time"),
    (["serve", "b", "--workers", "0"], "integer ≥ 1"),
])  # fmt: skip
def test_the_command_line_checks_its_options(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    error = capsys.readouterr().err
    assert exit_.value.code == 2 and message in error and "Traceback" not in error


def test_build_bundle_refuses_a_folder_that_is_not_a_bundle_folder(tmp_path, capsys):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "thesis.tex").write_text("\\chapter{Results}\n")
    assert cli.main(["build-bundle", str(thesis)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("recsys-tutorial build-bundle: refusing") and "Traceback" not in error
    assert [p.name for p in thesis.iterdir()] == ["thesis.tex"] and (thesis / "thesis.tex").read_text() == (
        "\\chapter{Results}\n")  # fmt: skip


def test_serve_refuses_what_is_not_a_verified_bundle(tmp_path, bundle_dir, bundle, capsys):
    assert cli.main(["serve", str(tmp_path)]) == 1
    assert "missing" in capsys.readouterr().err
    assert cli.main(["serve", str(tmp_path / "absent")]) == 1
    assert "not a directory" in capsys.readouterr().err
    before = (pd.Timestamp(bundle.manifest["as_of"]) - pd.Timedelta(days=1)).isoformat()
    assert cli.main(["serve", str(bundle_dir), "--now", before]) == 1
    assert "before the bundle's snapshot" in capsys.readouterr().err
    assert cli.main(["serve", str(bundle_dir), "--impressions", str(tmp_path / "no" / "such" / "log")]) == 1
    assert "no such folder" in capsys.readouterr().err


# --- the serve extra and the imports ------------------------------------------------------------


def test_the_app_imports_no_torch_and_names_the_serve_extra_when_fastapi_is_missing():
    imported = _python("import sys, recsys_tutorial.serving.app; "
                       "print(sorted(m for m in ('torch', 'sklearn', 'lightgbm') if m in sys.modules))")  # fmt: skip
    assert imported.returncode == 0 and imported.stdout.strip() == "[]", imported.stderr
    missing = _python("import sys; sys.modules['fastapi'] = None; import recsys_tutorial.serving.app")
    assert missing.returncode != 0 and 'pip install "recsys-tutorial[serve]"' in missing.stderr


# --- the background process ------------------------------------------------------------------


def test_a_background_service_answers_and_leaves_no_process_behind(bundle_dir, tmp_path):
    with serving_process.BackgroundService(bundle_dir, now="snapshot") as service:
        status, body = service.post("/recommend", {"user_id": 4, "k": 3})
        assert status == 200 and len(body["items"]) == 3
        assert service.post("/recommend", b'{"user_id": "4"}')[0] == 422
        pid = service.process.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(RuntimeError, match="not a directory"):
        serving_process.BackgroundService(bundle_dir.parent / "absent", startup_timeout=60).start()


def test_the_service_ends_when_its_parent_dies(bundle_dir, tmp_path):
    """The parent is SIGKILLed: no finalizer runs, and the service must notice on its own."""
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from recsys_tutorial.serving.process import BackgroundService
        service = BackgroundService({str(bundle_dir)!r}, now="snapshot").start()
        print(service.process.pid, flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        child = int(parent.stdout.readline())
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    _wait_until(lambda: not _alive(child), timeout=15)
    assert not _alive(child)


def test_two_workers_serve_one_bundle_and_count_together(bundle_dir, tmp_path):
    log = tmp_path / "impressions.jsonl"
    with serving_process.BackgroundService(bundle_dir, now="snapshot", workers=2, impressions=log) as service:
        # The second worker may still be starting when the first answers /health: wait for it.
        processes, deadline = set(), time.monotonic() + 60
        while len(processes) < 2 and time.monotonic() < deadline:
            processes.add(service.get("/health")["process"])
        answers = [service.post("/recommend", {"user_id": u, "k": 5}) for u in range(40)]
        metrics = service.get("/metrics")
        workers = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(service.process.pid)], capture_output=True,
                                                      text=True).stdout.split()]  # fmt: skip
    assert all(status == 200 for status, _ in answers)
    served = sum(float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("recsys_requests_total"))
    assert served == 40 and len(processes) == 2  # each worker's counts, added up
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(logged) == 40 and {entry["process"] for entry in logged} <= processes
    # The workers are joined before the parent exits; multiprocessing's resource tracker (also a
    # child) notices the parent's exit a moment later.
    _wait_until(lambda: not [pid for pid in workers if _alive(pid)], timeout=10)
    assert not [pid for pid in workers if _alive(pid)]


# --- helpers ------------------------------------------------------------------------------------


def _copy_bundle(bundle_dir, to):
    import shutil

    return shutil.copytree(bundle_dir, to, symlinks=True)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:  # a zombie (exited, not yet reaped by init) is not alive
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
