"""The logic of tools/ecosystem.py (`make ecosystem`) that needs no network, sdist or venv: the library table,
reading pytest's results, P of B, grouping failures by cause, pinning pytest's root, hiding FastAPI."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

TOOLS = Path(__file__).resolve().parents[2] / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))

import ecosystem  # noqa: E402 - tools/ is not a package; it is put on the path just above
import ecosystem_setup  # noqa: E402
from conformance import VERSION, Outcome, Run, read_reports  # noqa: E402

LIBRARY = ecosystem_setup.Library("demo", "1.0", "demo kind", ("tests",))


def test_table_entries_become_libraries_with_tuples() -> None:
    """Every list field of an entry becomes a tuple; absent optional fields get their defaults."""
    text = """
[[library]]
name = "demo"
version = "1.2"
kind = "pagination"
tests = ["tests", "more"]
requirements = ["httpx"]
pytest_args = ["-o", "addopts="]
"""
    (library,) = ecosystem_setup.parse_libraries(text)
    assert library == ecosystem_setup.Library(
        "demo", "1.2", "pagination", ("tests", "more"), ("httpx",), (), ("-o", "addopts=")
    )
    assert library.pin == "demo==1.2"


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        ('name = "a"\nversion = "1"\nkind = "k"\ntests = ["t"]\nrequirement = ["x"]', "unknown fields ['requirement']"),
        ('name = "a"\nversion = "1"\nkind = "k"', "missing fields ['tests']"),
    ],
)
def test_table_rejects_unknown_and_missing_fields(entry: str, complaint: str) -> None:
    """A misspelt or missing field is an error naming it, not a silently ignored setting."""
    with pytest.raises(ValueError, match="library a: .*" + re.escape(complaint)):
        ecosystem_setup.parse_libraries(f"[[library]]\n{entry}\n")


def test_table_rejects_a_library_listed_twice() -> None:
    """Two entries with one name would overwrite each other's results."""
    entry = '[[library]]\nname = "a"\nversion = "1"\nkind = "k"\ntests = ["t"]\n'
    with pytest.raises(ValueError, match="listed more than once: a"):
        ecosystem_setup.parse_libraries(entry * 2)


def test_shipped_table_pins_at_least_eight_libraries() -> None:
    """tools/ecosystem_libraries.toml loads, and pins eight or more libraries to exact versions with tests."""
    libraries = ecosystem_setup.load_libraries()
    assert len(libraries) >= 8
    for library in libraries:
        assert library.version[0].isdigit() and library.tests, library


def _run_with(tests: dict[str, Outcome], collect_errors: dict[str, Outcome] | None = None) -> Run:
    return Run("vivace", tests=tests, collect_errors=collect_errors or {})


def _baseline(*passing: str) -> dict[str, Any]:
    return {"passing": list(passing), "seconds": 1.0, "counts": {"passed": len(passing)}, "problems": []}


def test_p_counts_only_baseline_tests_that_pass_on_vivace() -> None:
    """P of B: a failure, a test in a module that failed to import and a missing test all count against P;
    a test passing on vivace but not in B does not count for it."""
    run = _run_with(
        {
            "t.py::ok": Outcome("passed"),
            "t.py::bad": Outcome("failed", "AssertionError: 1 != 2\nmore\n", "t.py:3"),
            "t.py::extra": Outcome("passed"),
        },
        collect_errors={"broken.py": Outcome("collection-error", "ImportError: no fastapi.x")},
    )
    baseline = _baseline("t.py::ok", "t.py::bad", "broken.py::t", "gone.py::t")
    entry = ecosystem.compare(LIBRARY, baseline, run)
    assert (entry["passed"], entry["baseline"]) == (1, 4)
    assert entry["failures"]["t.py::bad"] == {
        "outcome": "failed",
        "message": "AssertionError: 1 != 2\nmore",
        "where": "t.py:3",
    }
    assert entry["failures"]["broken.py::t"]["outcome"] == "collection-error"
    assert entry["failures"]["gone.py::t"]["outcome"] == "not-run"
    assert "t.py::extra" not in entry["failures"]


def test_results_are_read_from_the_plugins_report_lines(tmp_path: Path) -> None:
    """The plugin's JSON lines (one per test phase) fold into one outcome per test: a teardown error sticks."""
    records = [
        {"kind": "test", "nodeid": "a::x", "when": "setup", "outcome": "passed", "xfail": False},
        {"kind": "test", "nodeid": "a::x", "when": "call", "outcome": "passed", "xfail": False},
        {"kind": "test", "nodeid": "a::y", "when": "call", "outcome": "passed", "xfail": False},
        {"kind": "test", "nodeid": "a::y", "when": "teardown", "outcome": "failed", "xfail": False, "message": "boom"},
        {"kind": "test", "nodeid": "a::z", "when": "setup", "outcome": "skipped", "xfail": False},
    ]
    (tmp_path / "reports.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"cut', "utf-8")
    run = Run("fastapi")
    read_reports(run, tmp_path)
    baseline = ecosystem.baseline_of(run, key="k")
    assert baseline["passing"] == ["a::x"]
    assert baseline["counts"] == {"error": 1, "passed": 1, "skipped": 1}


def test_failures_are_grouped_by_first_line_most_frequent_first() -> None:
    """Failures whose first lines differ only by an object address form one cause; bigger causes come first."""
    entry = {
        "failures": {
            "a": {"outcome": "failed", "message": "KeyError: 'route'\ndetail"},
            "b": {"outcome": "failed", "message": "Mismatch <obj at 0x7f01>"},
            "c": {"outcome": "failed", "message": "Mismatch <obj at 0x7f99>"},
            "d": {"outcome": "not-run", "message": ""},
        }
    }
    assert ecosystem.causes(entry) == [
        ("Mismatch <obj at 0x...>", ["b", "c"]),
        ("KeyError: 'route'", ["a"]),
        ("not-run", ["d"]),
    ]


def test_summary_prints_p_of_b_per_library_and_in_total() -> None:
    """The report's summary is `NAME: P of B` per library, then the total over all libraries."""
    entries = {
        "lib-b": {"passed": 3, "baseline": 4},
        "lib-a": {"passed": 0, "baseline": 0},
    }
    report = ecosystem.summarise(entries, ecosystem.Options())
    assert ecosystem.summary_lines(report) == ["lib-a: 0 of 0", "lib-b: 3 of 4", "total: 3 of 4"]


def test_a_library_that_cannot_be_installed_counts_zero_of_zero_with_the_reason() -> None:
    """A setup failure stays visible as a problem instead of silently dropping the library."""
    entry = ecosystem.setup_failure(LIBRARY, "setup failed")
    assert (entry["passed"], entry["baseline"], entry["problems"]) == (0, 0, ["setup failed"])


@pytest.mark.parametrize(
    ("name", "text", "has_config"),
    [
        ("pytest.ini", "[pytest]\n", True),
        ("pyproject.toml", "[tool.pytest.ini_options]\naddopts = ''\n", True),
        ("pyproject.toml", "[project]\nname = 'x'\n", False),
        ("setup.cfg", "[tool:pytest]\naddopts = -q\n", True),
        ("setup.cfg", "[metadata]\nname = x\n", False),
        ("tox.ini", "[pytest]\nasyncio_mode = auto\n", True),
    ],
)
def test_pytest_root_is_pinned_only_where_the_sdist_has_no_config(
    tmp_path: Path, name: str, text: str, has_config: bool
) -> None:
    """A sdist without pytest settings gets an empty pytest.ini, so pytest never picks up this repo's settings."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    ecosystem_setup.pin_pytest_root(tmp_path)
    written = name != "pytest.ini" and (tmp_path / "pytest.ini").is_file()
    assert written == (not has_config)
    assert ecosystem_setup.has_pytest_config(tmp_path)


def _fake_venv(tmp_path: Path) -> tuple[Path, Path]:
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "fastapi").mkdir(parents=True)
    (site / f"fastapi-{VERSION}.dist-info").mkdir()
    return tmp_path, site


def test_fastapi_is_moved_aside_for_the_block_and_put_back_after(tmp_path: Path) -> None:
    """Inside the block neither the fastapi package nor its metadata is visible; after it both are back."""
    venv, site = _fake_venv(tmp_path)
    with ecosystem_setup.fastapi_hidden(venv):
        assert sorted(p.name for p in site.iterdir()) == [
            f"fastapi-{VERSION}.dist-info.vivace-hidden",
            "fastapi.vivace-hidden",
        ]
    assert sorted(p.name for p in site.iterdir()) == ["fastapi", f"fastapi-{VERSION}.dist-info"]


def test_fastapi_is_put_back_after_an_error_and_after_an_interrupted_run(tmp_path: Path) -> None:
    """An exception inside the block, or a run killed inside it, never leaves the venv without FastAPI."""
    venv, site = _fake_venv(tmp_path)
    with pytest.raises(RuntimeError), ecosystem_setup.fastapi_hidden(venv):
        raise RuntimeError("the run failed")
    assert (site / "fastapi").is_dir()
    (site / "fastapi").rename(site / "fastapi.vivace-hidden")  # as a killed run would leave it
    ecosystem_setup.restore_fastapi(venv)
    assert (site / "fastapi").is_dir() and not (site / "fastapi.vivace-hidden").exists()


def test_used_fastapi_names_are_imports_and_outermost_attribute_chains() -> None:
    """The scanner sees `from fastapi.X import Y`, `import fastapi.X` and `fastapi.a.b` reads, not writes or
    other packages, and reports a chain once (its outermost form)."""
    import ecosystem_imports

    source = """
import fastapi.middleware.asyncexitstack
from fastapi.dependencies.utils import get_dependant, solve_dependencies
from fastapi import *
from starlette.routing import Route
import fastapi

old = fastapi.routing.get_request_handler
fastapi.routing.get_request_handler = old
other.fastapi.thing
"""
    assert sorted(ecosystem_imports.used_names(source)) == [
        ("fastapi", 6),
        ("fastapi.dependencies.utils.get_dependant", 3),
        ("fastapi.dependencies.utils.solve_dependencies", 3),
        ("fastapi.middleware.asyncexitstack", 2),
        ("fastapi.routing.get_request_handler", 8),
    ]


def test_scan_lists_only_the_names_vivace_lacks(tmp_path: Path) -> None:
    """Run as the tool runs it (its own process, alias installed): present names pass, absent ones are listed
    with where they are used."""
    import subprocess

    (tmp_path / "lib.py").write_text(
        "from fastapi import FastAPI, NoSuchName\nimport fastapi.no_such_module\nx = fastapi.routing.APIRoute\n",
        encoding="utf-8",
    )
    command = [sys.executable, str(TOOLS / "ecosystem_imports.py"), str(tmp_path)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout
    assert json.loads(output) == {
        str(tmp_path): {"fastapi.NoSuchName": ["lib.py:1"], "fastapi.no_such_module": ["lib.py:2"]}
    }


def test_parametrized_ids_that_change_between_runs_are_paired_by_test_function() -> None:
    """A test whose ids hold random values is matched to the vivace run's new ids of the same function; ids
    the FastAPI run also had are never taken as such a partner."""
    baseline = _baseline("t.py::rand[aa]", "t.py::rand[bb]", "t.py::fixed[1]")
    baseline["collected"] = [*baseline["passing"], "t.py::fixed[2]"]
    run = _run_with(
        {
            "t.py::rand[xx]": Outcome("passed"),
            "t.py::rand[yy]": Outcome("failed", "boom"),
            "t.py::fixed[2]": Outcome("passed"),
        }
    )
    assert ecosystem.pair_unstable_ids(baseline, run) == {
        "t.py::rand[aa]": "t.py::rand[xx]",
        "t.py::rand[bb]": "t.py::rand[yy]",
    }
    entry = ecosystem.compare(LIBRARY, baseline, run)
    assert (entry["passed"], sorted(entry["failures"])) == (1, ["t.py::fixed[1]", "t.py::rand[bb]"])
    assert entry["failures"]["t.py::rand[bb]"]["message"] == "boom"


def test_tests_never_reached_carry_the_reason_the_run_stopped() -> None:
    """When pytest stopped early (a conftest failing to import), each missing test shows why, not just 'not-run'."""
    run = _run_with({})
    run.problems.append("pytest ran nothing (exit 4): ImportError: cannot import name 'X' from 'vivace.routing'")
    entry = ecosystem.compare(LIBRARY, _baseline("t.py::a"), run)
    assert entry["failures"]["t.py::a"]["outcome"] == "not-run"
    assert "cannot import name 'X'" in entry["failures"]["t.py::a"]["message"]


def test_a_baseline_where_nothing_passes_is_flagged() -> None:
    """0 of 0 is a broken setup, not a success: the entry says that nothing passed on FastAPI."""
    baseline = _baseline()
    baseline["counts"] = {"collection-error": 3}
    entry = ecosystem.compare(LIBRARY, baseline, _run_with({}))
    assert entry["problems"] == [
        "baseline: no test passes on FastAPI here, so nothing is compared ({'collection-error': 3})"
    ]


def test_a_partial_run_keeps_the_other_libraries_from_the_last_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--library NAME` updates one entry: every other library still in the table keeps its last result,
    and a library since removed from the table is dropped."""
    report = tmp_path / "report.json"
    entries = {name: {"passed": 1, "baseline": 2} for name in ("a", "b", "c", "gone")}
    report.write_text(json.dumps({"libraries": entries}), encoding="utf-8")
    monkeypatch.setattr(ecosystem, "REPORT_FILE", report)
    assert sorted(ecosystem.previous_entries(name for name in ("a", "b", "c"))) == ["a", "b", "c"]
