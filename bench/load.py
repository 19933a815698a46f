"""Load drivers: send one checked request, then generate load and measure it.

`DRIVERS` maps a scenario's `kind` to its driver: "http" runs wrk, "ws" and "sse" run bench/stream_client.py.
Both load generators run in their own process pinned to the client CPU and print the same BENCH_SUMMARY
line, which `parse_summary` turns into a Measurement.
"""

import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import stream_client
from scenarios import UPLOAD_BOUNDARY, Scenario
from servers import taskset_prefix

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "request.lua"
STREAM_CLIENT = BENCH_DIR / "stream_client.py"
_SUMMARY = re.compile(r"^BENCH_SUMMARY (\{.*\})$", re.MULTILINE)


class LoadError(RuntimeError):
    """A scenario could not be measured (wrong answer, errors under load, load generator failure)."""


@dataclass(frozen=True, slots=True)
class LoadSettings:
    connections: int
    threads: int
    cpu: int | None  # the load generator's CPU, None = not pinned


@dataclass(frozen=True, slots=True)
class Measurement:
    requests_per_s: float
    requests: int
    seconds: float
    latency_ms_mean: float
    latency_ms_p99: float
    socket_errors: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests_per_s": round(self.requests_per_s, 1),
            "requests": self.requests,
            "seconds": round(self.seconds, 3),
            "latency_ms_mean": round(self.latency_ms_mean, 3),
            "latency_ms_p99": round(self.latency_ms_p99, 3),
            "socket_errors": self.socket_errors,
        }


def check_once(url: str, scenario: Scenario, timeout: float = 10.0) -> Any:
    """Send the scenario's request once; return the decoded JSON, or raise LoadError on a wrong answer."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(scenario.method, scenario.path, body=scenario.body or None, headers=dict(scenario.headers))
        response = conn.getresponse()
        raw = response.read()
    except OSError as exc:
        raise LoadError(f"request failed: {exc!r}") from exc
    finally:
        conn.close()
    if response.status != scenario.expected_status:
        raise LoadError(f"HTTP {response.status} (expected {scenario.expected_status}): {raw[:200]!r}")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise LoadError(f"response is not JSON: {raw[:200]!r}") from exc
    if scenario.check is not None and not scenario.check(data):
        raise LoadError(f"unexpected response body: {raw[:200]!r}")
    return data


def connections_for(scenario: Scenario, settings: LoadSettings) -> int:
    return scenario.connections or settings.connections


def wrk_environment(scenario: Scenario) -> dict[str, str]:
    """What request.lua reads: the method, headers, and either the body or the recipe of an upload."""
    env = {
        "BENCH_METHOD": scenario.method,
        "BENCH_HEADERS": "\n".join(f"{name}: {value}" for name, value in scenario.headers),
    }
    if scenario.upload_bytes:
        env |= {"BENCH_UPLOAD_BYTES": str(scenario.upload_bytes), "BENCH_BOUNDARY": UPLOAD_BOUNDARY}
    else:
        env["BENCH_BODY"] = scenario.body.decode()
    return env


def run_wrk(url: str, scenario: Scenario, seconds: int, settings: LoadSettings) -> Measurement:
    """Drive `scenario` with wrk for `seconds` through bench/request.lua."""
    command = [
        *taskset_prefix(settings.cpu),
        "wrk",
        f"-t{settings.threads}",
        f"-c{connections_for(scenario, settings)}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        url + scenario.path,
    ]
    env = {**os.environ, **wrk_environment(scenario)}
    return parse_summary(_run_load(command, env, seconds, "wrk"))


def _run_load(command: list[str], env: dict[str, str] | None, seconds: int, name: str) -> str:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"{name} did not finish") from exc
    if done.returncode != 0:
        raise LoadError(f"{name} exited with {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


def parse_summary(output: str) -> Measurement:
    """Turn the BENCH_SUMMARY line written by request.lua into a Measurement; error responses are fatal."""
    found = _SUMMARY.search(output)
    if found is None:
        raise LoadError(f"no BENCH_SUMMARY line in wrk output: {output.strip()[-300:]!r}")
    summary = json.loads(found.group(1))
    errors = summary["errors"]
    if errors["status"]:
        raise LoadError(f"{errors['status']} of {summary['requests']} responses under load were not 2xx/3xx")
    seconds = summary["duration_us"] / 1e6
    if summary["requests"] == 0 or seconds <= 0:
        raise LoadError("wrk completed no requests")
    latency = summary["latency_us"]
    return Measurement(
        requests_per_s=summary["requests"] / seconds,
        requests=summary["requests"],
        seconds=seconds,
        latency_ms_mean=latency["mean"] / 1000,
        latency_ms_p99=latency["p99"] / 1000,
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
    )


def check_ws(url: str, scenario: Scenario) -> Any:
    """One echo over a fresh WebSocket; returns the echoed text or raises LoadError."""
    try:
        echoed = stream_client.check_ws(_ws_url(url, scenario), scenario.body.decode())
    except Exception as exc:  # NOTE: any failure of the sample request is the scenario's reported error
        raise LoadError(f"WebSocket echo failed: {exc!r}") from exc
    if scenario.check is not None and not scenario.check(echoed):
        raise LoadError(f"unexpected echo: {echoed[:200]!r}")
    return echoed


def check_sse(url: str, scenario: Scenario) -> Any:
    """Read one whole event stream; returns the events' data or raises LoadError."""
    try:
        events = stream_client.check_sse(url + scenario.path)
    except Exception as exc:  # NOTE: any failure of the sample request is the scenario's reported error
        raise LoadError(f"event stream failed: {exc!r}") from exc
    if scenario.check is not None and not scenario.check(events):
        raise LoadError(f"unexpected events ({len(events)}): {events[:3]!r}")
    return events


def _ws_url(url: str, scenario: Scenario) -> str:
    return "ws://" + url.partition("://")[2] + scenario.path


def run_stream_client(url: str, scenario: Scenario, seconds: int, settings: LoadSettings) -> Measurement:
    """Drive a "ws" or "sse" scenario with bench/stream_client.py, in its own process on the client CPU."""
    target = _ws_url(url, scenario) if scenario.kind == "ws" else url + scenario.path
    command = [
        *taskset_prefix(settings.cpu),
        sys.executable,
        str(STREAM_CLIENT),
        scenario.kind,
        target,
        f"--connections={connections_for(scenario, settings)}",
        f"--seconds={seconds}",
        f"--message={scenario.body.decode()}",
    ]
    measured = parse_summary(_run_load(command, None, seconds, "stream_client"))
    if measured.socket_errors:  # NOTE: unlike wrk's, these mean a connection broke mid-run: the number is off
        raise LoadError(f"{measured.socket_errors} connections failed or broke during the run")
    return measured


@dataclass(frozen=True, slots=True)
class Driver:
    check: Callable[[str, Scenario], Any]  # one request; returns the decoded answer or raises LoadError
    measure: Callable[[str, Scenario, int, LoadSettings], Measurement]


DRIVERS: dict[str, Driver] = {
    "http": Driver(check=check_once, measure=run_wrk),
    "ws": Driver(check=check_ws, measure=run_stream_client),
    "sse": Driver(check=check_sse, measure=run_stream_client),
}
