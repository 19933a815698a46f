"""The documentation site builds in strict mode: no broken link, no missing page, no failed API reference."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("mkdocs", reason="the docs tools come with the dev extra")


def build(site: Path, config: Path = ROOT / "mkdocs.yml") -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` into `site`, as `make docs` runs it."""
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir"]
    return subprocess.run(
        [*command, str(site)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=110, check=False
    )


@pytest.mark.timeout(120)
def test_site_builds_strict_without_warnings(tmp_path: Path) -> None:
    """The whole site builds with no WARNING line, and key pages, the API reference and the samples are there."""
    proc = build(tmp_path / "site")
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    site = tmp_path / "site"
    for page in ["index.html", "migration/index.html", "differences/index.html", "deployment/index.html"]:
        assert (site / page).is_file(), page
    reference = (site / "reference" / "routing" / "index.html").read_text()
    assert "include_router" in reference  # mkdocstrings read the docstrings from src/
    assert (site / "examples" / "migration_alias.py").is_file()  # samples are published next to the pages


@pytest.mark.timeout(120)
def test_broken_link_fails_the_build_but_a_missing_chart_does_not(tmp_path: Path) -> None:
    """A link to a missing page fails the strict build; the chart `make bench` draws may be absent."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    (docs / "img" / "bench.png").unlink(missing_ok=True)
    page = docs / "index.md"
    page.write_text(page.read_text() + "\n[gone](no-such-page.md)\n\n![chart](img/bench.png)\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text((ROOT / "mkdocs.yml").read_text().replace("paths: [src]", f"paths: [{ROOT / 'src'}]"))
    proc = build(tmp_path / "site", config)
    assert proc.returncode != 0
    assert "no-such-page.md" in proc.stderr
    assert "bench.png" not in proc.stderr
