"""Tests of the benchmark harness itself: `.venv/bin/pytest bench/test_bench.py -q` (a few seconds).

They live next to the harness because they test bench/, not vivace; they need no vivace code.
"""

from typing import Any

import pytest
from load import LoadError, Measurement, check_once, parse_summary
from report import error_lines, markdown_table, table_rows
from results import Results
from scenarios import SCENARIOS, Scenario, select
from serve import BENCH_DIR, load_module
from servers import Server
from starlette.testclient import TestClient

SUMMARY = (
    'BENCH_SUMMARY {"requests":5000,"duration_us":2000000,"bytes":1,'
    '"errors":{"connect":0,"read":1,"write":0,"status":%d,"timeout":2},'
    '"latency_us":{"mean":1500.0,"p50":1200,"p99":4000,"max":9000}}'
)


def _measured(rate: float) -> Measurement:
    return Measurement(rate, 1, 1.0, 1.0, 1.0, 0)


@pytest.fixture(scope="module")
def fastapi_client() -> Any:
    app = load_module(BENCH_DIR / "app.py", "bench_app_under_test").app
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_fastapi_answers_every_scenario(fastapi_client: Any, scenario: Scenario) -> None:
    """The app answers each scenario's request with the expected status and a body its check accepts."""
    response = fastapi_client.request(
        scenario.method, scenario.path, content=scenario.body or None, headers=dict(scenario.headers)
    )
    assert response.status_code == scenario.expected_status, response.text
    assert scenario.check is None or scenario.check(response.json())


def test_me_rejects_a_wrong_token(fastapi_client: Any) -> None:
    """The /me dependency chain really reads the x-token header (a wrong token is a 401)."""
    assert fastapi_client.get("/me", headers={"x-token": "nope"}).status_code == 401


def test_raw_app_serves_hello_only() -> None:
    """The raw ASGI control answers /hello like the app does and 404s anything else."""
    raw = load_module(BENCH_DIR / "raw_app.py", "bench_raw_app_under_test").app
    with TestClient(raw) as client:
        assert client.get("/hello").json() == {"message": "Hello World"}
        assert client.get("/users").status_code == 404


def test_summary_line_becomes_a_measurement() -> None:
    """request.lua's summary line is turned into requests/s, latencies in ms and a socket error count."""
    m = parse_summary("wrk noise\n" + SUMMARY % 0 + "\n")
    assert (m.requests_per_s, m.latency_ms_mean, m.latency_ms_p99, m.socket_errors) == (2500.0, 1.5, 4.0, 3)


def test_error_statuses_under_load_are_fatal() -> None:
    """Any non-2xx/3xx response during the measurement makes the scenario an error, not a number."""
    with pytest.raises(LoadError, match="7 of 5000"):
        parse_summary(SUMMARY % 7)


def test_missing_summary_is_an_error() -> None:
    """wrk output without the summary line (script not loaded) is reported, not parsed as zero."""
    with pytest.raises(LoadError, match="no BENCH_SUMMARY"):
        parse_summary("Requests/sec: 100\n")


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
    assert rows[1] == ["hello", "1,000", "400", "2,000", "2.50x", "0.50x"]
    assert rows[2] == ["sync-def", "n/a", "300", "-", "n/a", "-"]
    assert markdown_table(rows).splitlines()[1].startswith("|----")
    assert error_lines(results) == ["vivace / sync-def: HTTP 500"]


def test_a_failed_round_voids_earlier_good_rounds() -> None:
    """A scenario that errors in any round reports n/a rather than its good rounds."""
    results = Results(("fastapi",), ("hello",))
    results.outcome("fastapi", "hello").rounds.append(_measured(400.0))
    results.fail("fastapi", "hello", "wrk exited with 1")
    assert results.rate("fastapi", "hello") is None


def test_live_server_checks_and_wrong_answers() -> None:
    """Through a real uvicorn: the raw app passes the hello check and a 404 is reported as an error."""
    hello, items = select(["hello", "path-query"])
    with Server("raw", cpu=None) as server:
        assert check_once(server.url, hello) == {"message": "Hello World"}
        with pytest.raises(LoadError, match="HTTP 404"):
            check_once(server.url, items)
    assert not server.alive()
