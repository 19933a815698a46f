"""Tests of the benchmark harness in bench/ (not of vivace's speed): a few seconds, no sustained load.

The harness modules are scripts living in bench/, imported here by putting that directory on sys.path.
"""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import inprocess  # noqa: E402 (needs the sys.path entry above)
import stream_client  # noqa: E402
from load import (  # noqa: E402
    LUA_SCRIPT,
    LoadError,
    LoadSettings,
    Measurement,
    check_once,
    check_sse,
    check_ws,
    parse_summary,
    run_stream_client,
    wrk_environment,
)
from report import error_lines, markdown_table, table_rows, target_met  # noqa: E402
from results import Results  # noqa: E402
from scenarios import SCENARIOS, UPLOAD_BYTES, multipart_body, select  # noqa: E402
from serve import load_module  # noqa: E402
from servers import Server  # noqa: E402

ANSWERS = Path(__file__).resolve().parent / "answers.py"
SUMMARY = (
    'BENCH_SUMMARY {"requests":5000,"duration_us":2000000,"bytes":1,'
    '"errors":{"connect":0,"read":1,"write":0,"status":%d,"timeout":2},'
    '"latency_us":{"mean":1500.0,"p50":1200,"p99":4000,"max":9000}}'
)


def _measured(rate: float) -> Measurement:
    return Measurement(rate, 1, 1.0, 1.0, 1.0, 0)


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Any]]:
    """Every framework's answers to every scenario, each framework in its own interpreter, run side by side."""
    procs = {
        fw: subprocess.Popen([sys.executable, "-W", "error", str(ANSWERS), fw], stdout=subprocess.PIPE, text=True)
        for fw in ("vivace", "fastapi", "raw")
    }
    found = {}
    for fw, proc in procs.items():
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, f"{fw}: answers.py failed"
        found[fw] = json.loads(out)
    return found


@pytest.mark.parametrize("framework", ["vivace", "fastapi", "raw"])
def test_every_served_scenario_passes_its_check(answers: dict[str, Any], framework: str) -> None:
    """Each framework answers each scenario it serves with the expected status and a body its check accepts."""
    served = [s for s in SCENARIOS if framework in s.frameworks]
    for scenario in served:
        got = answers[framework][scenario.name]
        expected_status = 101 if scenario.kind == "ws" else scenario.expected_status
        assert got["status"] == expected_status, (scenario.name, got)
        assert scenario.check is not None and scenario.check(got["answer"]), (scenario.name, got)


def test_vivace_answers_exactly_like_fastapi(answers: dict[str, Any]) -> None:
    """The same bench/app.py gives identical statuses and bodies on vivace and FastAPI, errors included."""
    assert answers["vivace"] == answers["fastapi"]


def test_scenarios_really_validate_and_authenticate(answers: dict[str, Any]) -> None:
    """The dependency, security and validation scenarios reject bad input, so they do real work."""
    fastapi = answers["fastapi"]
    assert fastapi["me-wrong-token"]["status"] == 401
    assert fastapi["security-no-token"]["status"] == 401
    assert fastapi["path-query-invalid"]["status"] == 422


def test_fastapi_app_is_built_by_fastapi() -> None:
    """bench/app.py imported without the alias builds a real FastAPI app (no alias leaked into this process)."""
    app = load_module(BENCH_DIR / "app.py", "bench_app_under_test").app
    assert type(app).__module__ == "fastapi.applications"


def test_summary_line_becomes_a_measurement() -> None:
    """request.lua's summary line is turned into requests/s, latencies in ms and a socket error count."""
    m = parse_summary("wrk noise\n" + SUMMARY % 0 + "\n")
    assert (m.requests_per_s, m.latency_ms_mean, m.latency_ms_p99, m.socket_errors) == (2500.0, 1.5, 4.0, 3)


def test_error_statuses_under_load_are_fatal() -> None:
    """Any non-2xx/3xx response (or wrong echo) during the measurement makes the scenario an error."""
    with pytest.raises(LoadError, match="7 of 5000"):
        parse_summary(SUMMARY % 7)


def test_missing_summary_is_an_error() -> None:
    """wrk output without the summary line (script not loaded) is reported, not parsed as zero."""
    with pytest.raises(LoadError, match="no BENCH_SUMMARY"):
        parse_summary("Requests/sec: 100\n")


def test_stream_client_summary_parses_like_wrks() -> None:
    """The stream client's tally prints a summary line that parse_summary reads back unchanged."""
    tally = stream_client.Tally(done=300, received_bytes=10, read_errors=1, latencies_us=[100.0, 300.0, 200.0])
    m = parse_summary(tally.summary(1.5))
    assert (m.requests, m.requests_per_s, m.latency_ms_mean, m.latency_ms_p99, m.socket_errors) == (
        300,
        200.0,
        0.2,
        0.3,
        1,
    )


def test_websocket_frames_round_trip() -> None:
    """The hand-built client frames are masked per RFC 6455, and server frames of every length form parse."""
    frame = stream_client.client_frame(b"hello")
    assert frame[:2] == b"\x81\x85"
    mask, masked = frame[2:6], frame[6:]
    assert bytes(b ^ mask[i % 4] for i, b in enumerate(masked)) == b"hello"
    assert stream_client.client_frame(b"x" * 300)[1:4] == bytes([0x80 | 126]) + (300).to_bytes(2, "big")
    assert stream_client.server_frame(b"\x81\x05hello+next") == (1, b"hello", 7)
    assert stream_client.server_frame(b"\x81\x7e\x01\x2c" + b"y" * 300) == (1, b"y" * 300, 304)
    assert stream_client.server_frame(b"\x81\x05hel") is None


def test_unknown_scenario_names_are_rejected() -> None:
    """--scenarios with a typo fails loudly instead of silently running nothing."""
    with pytest.raises(ValueError, match="helo"):
        select(["hello", "helo"])
    assert [s.name for s in select(["sync-def", "hello"])] == ["hello", "sync-def"]


def test_table_shows_na_for_failures_and_dash_for_unserved() -> None:
    """A failed or missing framework reads n/a, raw's unserved scenarios read -, ratios use the best round."""
    results = Results(("vivace", "fastapi", "raw"), ("hello", "sync-def"))
    results.outcome("vivace", "hello").rounds += [_measured(900.0), _measured(1000.0)]
    results.outcome("fastapi", "hello").rounds.append(_measured(400.0))
    results.outcome("raw", "hello").rounds.append(_measured(2000.0))
    results.outcome("fastapi", "sync-def").rounds.append(_measured(300.0))
    results.fail("vivace", "sync-def", "HTTP 500")
    rows = table_rows(results, select(["hello", "sync-def"]))
    assert rows[1] == [
        "hello",
        "1,000",
        "400",
        "2,000",
        "req/s",
        "2.50x",
        "0.50x",
        ">= 3.0x FastAPI, >= 0.90x raw",
        "**no**",
    ]
    assert rows[2] == ["sync-def", "n/a", "300", "-", "req/s", "n/a", "-", ">= 3.0x FastAPI", "n/a"]
    assert rows[3] == ["geometric mean (2 scenarios)", "", "", "", "", "n/a", "", ">= 3.5x FastAPI", "n/a"]
    assert markdown_table(rows).splitlines()[1].startswith("|----")
    assert error_lines(results) == ["vivace / sync-def: HTTP 500"]


def test_targets_met_only_when_every_ratio_reaches_its_target() -> None:
    """hello needs both ratios (3x FastAPI, 0.9x raw); deps-3 needs 3x FastAPI, so 2.9x is a miss."""
    hello, deps = select(["hello", "deps-3"])
    results = Results(("vivace", "fastapi", "raw"), ("hello", "deps-3"))
    for framework, scenario, rate in [
        ("vivace", "hello", 950.0),
        ("fastapi", "hello", 300.0),
        ("raw", "hello", 1000.0),
        ("vivace", "deps-3", 290.0),
        ("fastapi", "deps-3", 100.0),
    ]:
        results.outcome(framework, scenario).rounds.append(_measured(rate))
    assert target_met(results, hello) is True
    assert target_met(results, deps) is False


def test_a_failed_round_voids_earlier_good_rounds() -> None:
    """A scenario that errors in any round reports n/a rather than its good rounds."""
    results = Results(("fastapi",), ("hello",))
    results.outcome("fastapi", "hello").rounds.append(_measured(400.0))
    results.fail("fastapi", "hello", "wrk exited with 1")
    assert results.rate("fastapi", "hello") is None


def test_upload_body_is_built_by_lua_not_passed_in_the_environment() -> None:
    """The 1 MiB upload travels as a recipe (Linux caps one environment variable at 128 KiB); others as bytes."""
    upload, post = select(["post-body", "upload-1mb"])[::-1]
    assert wrk_environment(upload)["BENCH_UPLOAD_BYTES"] == str(UPLOAD_BYTES)
    assert "BENCH_BODY" not in wrk_environment(upload)
    assert wrk_environment(post)["BENCH_BODY"].encode() == post.body
    assert len(upload.body) > UPLOAD_BYTES and upload.body.endswith(b"--\r\n")


def _first_request(server: socket.socket) -> bytes:
    """The first complete request any connection sends (wrk's address probe connects and closes first)."""
    while True:
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            data = b""
            while chunk := conn.recv(1 << 20):
                data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")),
                    None,
                )
                if length is not None and len(body) >= length:
                    return data


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_lua_builds_the_same_upload_as_python() -> None:
    """wrk sends, byte for byte, the multipart body the harness checks the answer with."""
    (upload,) = select(["upload-1mb"])
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(2)
        server.settimeout(10)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/upload"
        command = ["wrk", "-t1", "-c1", "-d5s", "-s", str(LUA_SCRIPT), url]
        wrk = subprocess.Popen(command, env={**os.environ, **wrk_environment(upload)}, stdout=subprocess.DEVNULL)
        try:
            request = _first_request(server)
        finally:
            wrk.kill()
            wrk.wait()
    head, _, body = request.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /upload HTTP/1.1")
    assert b"boundary=vivace-bench-boundary" in head
    assert body == multipart_body(UPLOAD_BYTES)


def test_live_raw_server_through_every_driver() -> None:
    """Through a real uvicorn: the raw app passes the http, ws and sse checks, a 404 is an error, and the
    stream client measures a short echo and event run."""
    hello, items, ws, sse = select(["hello", "path-query", "ws-echo", "sse"])
    settings = LoadSettings(connections=1, threads=1, cpu=None)
    with Server("raw", cpu=None) as server:
        assert check_once(server.url, hello) == {"message": "Hello World"}
        with pytest.raises(LoadError, match="HTTP 404"):
            check_once(server.url, items)
        assert check_ws(server.url, ws) == ws.body.decode()
        assert len(check_sse(server.url, sse)) == 1000
        for scenario in (ws, sse):
            m = run_stream_client(server.url, scenario, 1, settings)
            assert m.requests > 0 and m.socket_errors == 0, scenario.name
    assert not server.alive()


def test_inprocess_timer_counts_items() -> None:
    """bench/inprocess.py replays a scenario into an ASGI app and reports a positive rate per item."""
    raw = load_module(BENCH_DIR / "raw_app.py", "bench_raw_app_under_test").app
    for scenario in select(["hello", "ws-echo", "sse"]):
        assert asyncio.run(inprocess.time_scenario(raw, scenario, 0.05, None)) > 0


def test_inprocess_rejects_a_wrong_status() -> None:
    """A scenario the app answers with the wrong status stops the timer instead of timing errors."""
    raw = load_module(BENCH_DIR / "raw_app.py", "bench_raw_app_under_test").app
    (items,) = select(["path-query"])
    with pytest.raises(SystemExit, match="HTTP 404"):
        asyncio.run(inprocess.time_scenario(raw, items, 0.05, None))


def test_scenario_names_are_unique() -> None:
    """Every scenario has its own name (results and the table are keyed by it)."""
    assert len({s.name for s in SCENARIOS}) == len(SCENARIOS)


def test_server_bound_scenarios_are_held_to_the_raw_app_and_left_out_of_the_mean() -> None:
    """upload-1mb and ws-echo need 0.85x / 0.90x raw and only 1x FastAPI; the mean covers the 3x scenarios."""
    chosen = select(["hello", "deps-3", "upload-1mb", "ws-echo"])
    results = Results(("vivace", "fastapi", "raw"), tuple(s.name for s in chosen))
    for framework, scenario, rate in [
        ("vivace", "hello", 950.0),
        ("fastapi", "hello", 250.0),
        ("raw", "hello", 1000.0),
        ("vivace", "deps-3", 400.0),
        ("fastapi", "deps-3", 100.0),
        ("vivace", "upload-1mb", 90.0),
        ("fastapi", "upload-1mb", 80.0),
        ("raw", "upload-1mb", 100.0),
        ("vivace", "ws-echo", 85.0),
        ("fastapi", "ws-echo", 80.0),
        ("raw", "ws-echo", 100.0),
    ]:
        results.outcome(framework, scenario).rounds.append(_measured(rate))
    by_name = {s.name: s for s in chosen}
    assert target_met(results, by_name["upload-1mb"]) is True
    assert target_met(results, by_name["ws-echo"]) is False  # 0.85x raw, under 0.90x
    mean_row = table_rows(results, chosen)[-1]
    assert mean_row[0] == "geometric mean (2 scenarios)"
    assert mean_row[5] == "3.90x"  # sqrt(3.8 * 4.0)
    assert mean_row[-1] == "yes"
