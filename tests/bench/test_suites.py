"""Tests of the benchmark's other suites: the realistic application, startup, and the peer frameworks.

Like test_harness.py, these check the harness (answers, tables, parsing), not vivace's speed.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import peers  # noqa: E402 (needs the sys.path entry above)
import report  # noqa: E402
import run  # noqa: E402
import startup  # noqa: E402
from load import DRIVERS, LoadError, Measurement  # noqa: E402
from realistic import REALISTIC  # noqa: E402
from results import Results  # noqa: E402
from scenarios import SCENARIOS, select  # noqa: E402
from servers import Server  # noqa: E402
from stream_client import count_event_ends  # noqa: E402

HERE = Path(__file__).resolve().parent


def _measured(rate: float) -> Measurement:
    return Measurement(rate, 1, 1.0, 1.0, 1.0, 0)


@pytest.fixture(scope="module")
def realistic_answers() -> dict[str, dict[str, Any]]:
    """Both frameworks' answers to the realistic app, each in its own interpreter, run side by side."""
    script = str(HERE / "realistic_answers.py")
    procs = {
        fw: subprocess.Popen([sys.executable, "-W", "error", script, fw], stdout=subprocess.PIPE, text=True)
        for fw in ("vivace", "fastapi")
    }
    found = {}
    for fw, proc in procs.items():
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, f"{fw}: realistic_answers.py failed"
        found[fw] = json.loads(out)
    return found


@pytest.mark.parametrize("framework", ["vivace", "fastapi"])
def test_realistic_routes_pass_their_checks(realistic_answers: dict[str, Any], framework: str) -> None:
    """Each route of the realistic app answers with its expected status and a body its check accepts."""
    for s in REALISTIC:
        got = realistic_answers[framework][s.name]
        assert got["status"] == s.expected_status, (s.name, got)
        assert s.check is not None and s.check(got["answer"]), (s.name, got)


def test_realistic_answers_match_fastapi(realistic_answers: dict[str, Any]) -> None:
    """Same statuses and bodies on both frameworks, errors included; the created row differs only in its time."""
    ours, theirs = realistic_answers["vivace"], realistic_answers["fastapi"]
    for name in ours:
        if name == "app-create":
            continue
        assert ours[name] == theirs[name], name
    created = [{k: v for k, v in fw["app-create"]["answer"].items() if k != "created_at"} for fw in (ours, theirs)]
    assert created[0] == created[1]


def test_realistic_routes_really_authenticate_and_validate(realistic_answers: dict[str, Any]) -> None:
    """Bad tokens are 401, bad pagination and bodies 422, a missing row 404: the routes do the real work."""
    got = {name: answer["status"] for name, answer in realistic_answers["vivace"].items()}
    assert (got["me-bad-token"], got["me-no-token"]) == (401, 401)
    assert (got["list-bad-limit"], got["create-bad-body"], got["detail-missing"]) == (422, 422, 404)


def test_realistic_geometric_mean_row() -> None:
    """The realistic table ends with the geometric mean of vivace/FastAPI, n/a when a route is missing."""
    results = Results(("vivace", "fastapi"), tuple(s.name for s in REALISTIC))
    for s, (ours, theirs) in zip(REALISTIC, [(200, 100), (400, 100), (100, 100), (100, 50)], strict=True):
        results.outcome("vivace", s.name).rounds.append(_measured(ours))
        results.outcome("fastapi", s.name).rounds.append(_measured(theirs))
    rows = report.realistic_rows(results, REALISTIC)
    assert rows[-1][0] == "geometric mean" and rows[-1][4] == "2.00x" and rows[-1][6] == "yes"
    assert rows[3][4] == "1.00x" and rows[3][6] == "**no**"  # the create route at 1.0x misses 1.1x
    results.fail("vivace", REALISTIC[0].name, "HTTP 500")
    assert report.realistic_rows(results, REALISTIC)[-1][4] == "n/a"


def test_fastest_peer_skips_what_is_not_compared() -> None:
    """BlackSheep's sync-def runs on the event loop: shown, but the fastest compared peer is another one."""
    hello, sync = select(["hello", "sync-def"])
    results = Results(("vivace", *peers.PEERS), ("hello", "sync-def"))
    for fw, name, rate in [
        ("vivace", "hello", 1000.0),
        ("blacksheep", "hello", 900.0),
        ("litestar", "hello", 700.0),
        ("vivace", "sync-def", 500.0),
        ("blacksheep", "sync-def", 2000.0),
        ("litestar", "sync-def", 400.0),
        ("starlette", "sync-def", 300.0),
    ]:
        results.outcome(fw, name).rounds.append(_measured(rate))
    assert report.fastest_peer(results, hello) == ("blacksheep", 900.0)
    assert report.fastest_peer(results, sync) == ("litestar", 400.0)
    rows = report.peer_rows(results, (hello, sync))
    assert rows[1][-3:] == ["1.11x", ">= 1.25x", "**no**"]
    assert rows[2][2] == "2,000 (not compared)" and rows[2][-3:] == ["1.25x", ">= 1.25x", "yes"]
    assert rows[1][4] == "n/a"  # Starlette did not measure hello


def test_suites_and_names_select_scenarios() -> None:
    """--suites picks the http scenarios, the realistic routes or both; names filter across them."""
    assert run.select_scenarios([], ("http",)) == SCENARIOS
    assert run.select_scenarios([], ("app", "startup")) == REALISTIC
    chosen = run.select_scenarios(["hello", "app-me"], ("http", "app"))
    assert [s.name for s in chosen] == ["hello", "app-me"]
    with pytest.raises(ValueError, match="app-nope"):
        run.select_scenarios(["app-nope"], ("app",))


def test_peers_flag_adds_the_peers_to_the_frameworks(monkeypatch: pytest.MonkeyPatch) -> None:
    """PEERS=1 (what `make bench PEERS=1` exports) adds the three peers; the default run has none."""
    monkeypatch.delenv("PEERS", raising=False)
    monkeypatch.delenv("BENCH_PEERS", raising=False)
    assert run.parse_config([]).frameworks == ("vivace", "fastapi", "raw")
    monkeypatch.setenv("PEERS", "1")
    config = run.parse_config(["--suites", "http"])
    assert config.frameworks == ("vivace", "fastapi", "raw", *peers.PEERS) and config.peers


def test_sse_events_count_once_whatever_the_line_ends_and_reads() -> None:
    """Events end in \\n\\n or \\r\\n\\r\\n (Litestar) inside chunked framing; split reads count each once."""
    for stream in (
        b"1e\r\ndata: {}\n\n\r\n1e\r\ndata: {}\n\n\r\n0\r\n\r\n",
        b"20\r\ndata: {}\r\n\r\n\r\n20\r\ndata: {}\r\n\r\n\r\n0\r\n\r\n",
    ):
        for step in (1, 2, 5, 1000):
            total, tail = 0, b""
            for start in range(0, len(stream), step):
                block = stream[start : start + step]
                total += count_event_ends(tail, block)
                tail = (tail + block)[-5:]
            assert total == 2, (stream, step)


def test_startup_table_rates_ratios_and_targets() -> None:
    """Startup rows show the medians, vivace/FastAPI, and whether the startup and memory targets are met."""
    medians = {m.key: 100.0 for m in startup.MEASURES}
    found = {
        "runs": 3,
        "medians": {"vivace": medians | {"startup_ms": 40.0, "peak_rss_mb": 60.0}, "fastapi": medians},
    }
    rows = {row[0]: row for row in startup.table_rows(found)}
    assert rows["import + build + first request"][1:] == ["40.0", "100.0", "ms", "0.40x", "<= 0.50x (met)"]
    assert rows["peak RSS"][4:] == ["0.60x", "<= 1.00x (met)"]
    found["medians"]["vivace"]["peak_rss_mb"] = 120.0
    assert startup.table_rows(found)[6][5] == "<= 1.00x (**missed**)"
    assert startup.alternating(("a", "b"), 3) == ["a", "b", "b", "a", "a", "b"]


@pytest.mark.parametrize("framework", ["vivace", "fastapi"])
def test_startup_child_reports_every_measure(framework: str) -> None:
    """One fresh-process startup run builds the 200-route app, serves every route and reports each figure."""
    report_ = startup.run_child(framework, [], timeout=55)
    assert set(report_) == {m.key for m in startup.MEASURES}
    assert all(value > 0 for value in report_.values())
    assert report_["startup_ms"] >= report_["import_ms"] + report_["build_ms"]


@pytest.mark.skipif(not peers.is_ready(), reason="the peers' virtualenv is not built (make bench PEERS=1 builds it)")
@pytest.mark.parametrize("peer", peers.PEERS)
def test_peer_answers_every_scenario(peer: str) -> None:
    """Through a real uvicorn, each peer passes every scenario's check, as vivace and FastAPI do."""
    with Server(peer, cpu=None, python=peers.venv_python()) as server:
        failures = []
        for scenario in SCENARIOS:
            try:
                DRIVERS[scenario.kind].check(server.url, scenario)
            except LoadError as exc:
                failures.append(f"{scenario.name}: {exc}")
        assert failures == []


def test_profile_buckets_credit_the_right_package() -> None:
    """Files map to their package; a built-in called by pyjwt counts as pyjwt, not as the standard library."""
    import profile_request

    assert profile_request.bucket_of("/work/main/src/vivace/_core/runner.py") == "framework: vivace"
    assert profile_request.bucket_of("~", "<method 'switch' of 'greenlet.greenlet' objects>").startswith("sqlalchemy")
    assert profile_request.bucket_of("/usr/lib/python3.11/json/decoder.py") == profile_request.OTHER
    jwt_caller = ("/site-packages/jwt/api_jws.py", 10, "_load")
    loads = ("/usr/lib/python3.11/json/__init__.py", 299, "loads")
    stats = {loads: (1, 1, 0.1, 0.1, {jwt_caller: (1, 1, 0.1, 0.1)}), jwt_caller: (1, 1, 0.1, 0.2, {})}
    assert profile_request.credited_bucket(stats, loads) == "pyjwt"


def test_instruction_totals_add_up_every_dump(tmp_path: Path) -> None:
    """callgrind_control -d writes numbered dumps beside the output file; their `totals:` lines are summed."""
    import instructions

    out = tmp_path / "vivace-app-me.out"
    out.write_text("events: Ir\nsummary: 0\ntotals: 0\n")
    (tmp_path / "vivace-app-me.out.1").write_text("events: Ir\nsummary: 0\nfn=x\n1 5\ntotals: 1500\n")
    (tmp_path / "vivace-app-me.out.2").write_text("totals: 500\n")
    assert instructions._total(out) == 2000
