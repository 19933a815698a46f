"""Load drivers: send one checked request, then generate load and measure it.

`DRIVERS` maps a scenario's `kind` to its driver. Only "http" (wrk) exists today; a WebSocket or SSE
scenario needs one more `Driver(check=..., measure=...)` entry, with another load generator behind it.
"""

import http.client
import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scenarios import Scenario
from servers import taskset_prefix

LUA_SCRIPT = Path(__file__).resolve().parent / "request.lua"
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


def run_wrk(url: str, scenario: Scenario, seconds: int, settings: LoadSettings) -> Measurement:
    """Drive `scenario` with wrk for `seconds` through bench/request.lua."""
    command = [
        *taskset_prefix(settings.cpu),
        "wrk",
        f"-t{settings.threads}",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA_SCRIPT),
        url + scenario.path,
    ]
    env = {
        **os.environ,
        "BENCH_METHOD": scenario.method,
        "BENCH_BODY": scenario.body.decode(),
        "BENCH_HEADERS": "\n".join(f"{name}: {value}" for name, value in scenario.headers),
    }
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LoadError("wrk did not finish") from exc
    if done.returncode != 0:
        raise LoadError(f"wrk exited with {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")
    return parse_summary(done.stdout)


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


@dataclass(frozen=True, slots=True)
class Driver:
    check: Callable[[str, Scenario], Any]  # one request; returns the decoded answer or raises LoadError
    measure: Callable[[str, Scenario, int, LoadSettings], Measurement]


DRIVERS: dict[str, Driver] = {"http": Driver(check=check_once, measure=run_wrk)}
