"""HTTP metrics and log records match FastAPI 0.165's for the same app and requests."""

import importlib
from typing import Any

from starlette.testclient import TestClient
from telemetry_support import FRAMEWORKS, Signals, make_signals


def build(name: str, config: dict[str, Any]) -> Any:
    fw = importlib.import_module(name)
    app = fw.FastAPI(telemetry=config)

    @app.get("/items/{item_id}")
    def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("endpoint failed")

    return app


def exercise(name: str) -> Signals:
    found = make_signals()
    client = TestClient(build(name, found.config), raise_server_exceptions=False)
    for url in ("/items/1", "/items/2", "/items/x", "/boom", "/missing"):
        client.get(url)
    return found


def metric_points(found: Signals) -> dict[str, list[tuple[Any, ...]]]:
    data = found.metrics.get_metrics_data()
    points: dict[str, list[tuple[Any, ...]]] = {}
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "count", None) or getattr(point, "value", None)
                    bounds = tuple(getattr(point, "explicit_bounds", ()) or ())
                    entry = (sorted((point.attributes or {}).items()), value, bounds, metric.unit)
                    points.setdefault(metric.name, []).append(entry)
    return {name: sorted(entries, key=repr) for name, entries in points.items()}


def log_records(found: Signals) -> list[tuple[Any, ...]]:
    records = []
    for item in found.logs.get_finished_logs():
        record = item.log_record
        attributes = {k: v for k, v in (record.attributes or {}).items() if not k.startswith("exception.")}
        exception_type = (record.attributes or {}).get("exception.type")
        records.append((record.event_name, record.severity_text, attributes, exception_type))
    return records


def test_request_metrics_match_fastapi() -> None:
    """Duration histogram (buckets, unit, attributes) and the active-requests counter equal FastAPI's."""
    results = {}
    for name in FRAMEWORKS:
        found = exercise(name)
        results[name] = metric_points(found)
        found.shutdown()
    assert results["vivace"] == results["fastapi"]
    assert {"http.server.request.duration", "http.server.active_requests"} <= set(results["vivace"])


def test_log_records_match_fastapi() -> None:
    """A validation failure and an unhandled exception give the same event names, severities and attributes."""
    results = {}
    for name in FRAMEWORKS:
        found = exercise(name)
        results[name] = log_records(found)
        found.shutdown()
    assert results["vivace"] == results["fastapi"]
    assert [record[0] for record in results["vivace"]] == [
        "fastapi.validation.failed", "http.server.request.exception"
    ]


def test_signals_can_be_switched_off_one_by_one() -> None:
    """`metrics=False` and `logs=False` stop those signals while spans are still recorded."""
    found = make_signals()
    client = TestClient(build("vivace", {**found.config, "metrics": False, "logs": False}))
    client.get("/items/x")
    assert metric_points(found) == {}
    assert log_records(found) == []
    assert len(found.spans.get_finished_spans()) == 2
    found.shutdown()
