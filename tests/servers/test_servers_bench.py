"""The benchmark's granian suite (bench/granian_suite.py): what it runs, its table and its targets, and the
bench launcher serving vivace over granian's RSGI interface. These check the harness, not speed."""

import sys
from pathlib import Path

import httpx
import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import granian_suite  # noqa: E402 (needs the sys.path entry above)
import run  # noqa: E402
from load import Measurement  # noqa: E402
from results import Results  # noqa: E402
from servers import Server  # noqa: E402
from stream_client import check_ws  # noqa: E402


def _measured(rate: float) -> Measurement:
    return Measurement(rate, int(rate), 1.0, 1.0, 2.0, 0)


def test_defaults_and_narrowing_by_name() -> None:
    """Without --scenarios the suite runs its defaults; with them, only the named bench/app.py scenarios."""
    assert [s.name for s in granian_suite.scenarios([])] == list(granian_suite.DEFAULT_SCENARIOS)
    assert [s.name for s in granian_suite.scenarios(["ws-echo", "hello"])] == ["hello", "ws-echo"]
    config = run.parse_config(["--suites", "granian", "--scenarios", "hello", "--quick"])
    assert [s.name for s in config.granian_scenarios] == ["hello"]
    assert run.parse_config(["--suites", "http", "--quick"]).granian_scenarios == ()


def test_table_and_targets() -> None:
    """Ratios are vivace on RSGI over the uvicorn references; a target below its goal is reported MISSED."""
    chosen = granian_suite.scenarios(["hello", "ws-echo"])
    results = Results(granian_suite.LABEL_ORDER, ("hello", "ws-echo"))
    rates = {
        "vivace@granian-rsgi": (12000, 30000), "raw@granian-rsgi": (15000, 32000),
        "raw": (10000, 40000), "fastapi": (4000, 20000),
    }  # fmt: skip
    for label, (hello, echo) in rates.items():
        results.outcome(label, "hello").rounds.append(_measured(hello))
        results.outcome(label, "ws-echo").rounds.append(_measured(echo))
    rows = granian_suite.table_rows(results, chosen)
    assert rows[1][0] == "hello" and rows[1][1:3] == ["12,000", "15,000"] and rows[1][9:11] == ["1.20x", "3.00x"]
    assert rows[2][10] == "1.50x" and rows[2][12] == "0.94x"  # vivace RSGI over the raw RSGI app
    lines = granian_suite.target_lines(results)
    assert lines[0].endswith("= 1.20x (>= 1.0x: met)")
    assert lines[1].endswith("= 1.50x (>= 2.0x: MISSED)")
    assert lines[2].endswith("= n/a (>= 2.0x: n/a)")  # vivace on granian's ASGI interface was not measured


def test_bench_launcher_serves_vivace_over_rsgi() -> None:
    """bench/serve.py --server granian-rsgi answers the bench app's /hello."""
    pytest.importorskip("granian")
    with Server("vivace", cpu=None, server="granian-rsgi") as server:
        assert server.label == "vivace@granian-rsgi"
        assert httpx.get(f"{server.url}/hello", timeout=30).json() == {"message": "Hello World"}
        assert "granian-rsgi" in server.log_path.name


def test_bench_launcher_serves_the_raw_rsgi_app() -> None:
    """bench/serve.py --framework raw --server granian-rsgi serves bench/raw_rsgi.py: /hello, the upload, a 404 and
    the echo."""
    pytest.importorskip("granian")
    with Server("raw", cpu=None, server="granian-rsgi") as server:
        assert httpx.get(f"{server.url}/hello", timeout=30).json() == {"message": "Hello World"}
        files, data = {"file": ("a.bin", b"\r\n--x" * 100)}, {"note": "hi"}
        upload = httpx.post(f"{server.url}/upload", files=files, data=data, timeout=30)
        assert upload.json() == {"filename": "a.bin", "size": 500, "note": "hi"}
        assert httpx.get(f"{server.url}/nowhere", timeout=30).status_code == 404
        assert check_ws(f"ws://{server.url.partition('://')[2]}/ws", "ping", timeout=30) == "ping"
