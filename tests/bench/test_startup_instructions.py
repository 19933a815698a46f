"""bench/startup.py --instructions: callgrind counts of the import and of import + 200 routes + first request."""

import shutil
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import startup  # noqa: E402 (needs the sys.path entry above)


def test_instruction_table_divides_vivace_by_fastapi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each framework's import and whole-startup counts are shown in millions, with vivace/FastAPI per row."""
    counts = {
        ("-c", startup.IMPORTS["vivace"]): 1_200_000_000,
        ("-c", startup.IMPORTS["fastapi"]): 1_600_000_000,
        ("startup_child.py", "vivace", "first-only"): 2_000_000_000,
        ("startup_child.py", "fastapi", "first-only"): 2_500_000_000,
    }
    monkeypatch.setattr(startup, "count_instructions", lambda code: counts[tuple(code)])
    rows = {row[0]: row[1:] for row in startup.instruction_rows()}
    assert rows["import the framework"] == ["1,200", "1,600", "M", "0.75x", ""]
    assert rows["import + build + first request"] == ["2,000", "2,500", "M", "0.80x", "<= 0.50x"]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="needs valgrind")
def test_counting_instructions_runs_python_under_callgrind() -> None:
    """A tiny program's count is positive and below a billion (the interpreter alone is about 40M)."""
    assert 0 < startup.count_instructions(["-c", "pass"]) < 1_000_000_000
