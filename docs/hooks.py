"""MkDocs hooks for the vivace site (listed under `hooks:` in mkdocs.yml; not part of the site itself).

Two jobs, both about links that are right in the repository but would break in the built site:

- A page may link to a repository file outside `docs/`, such as `[bench/app.py](../bench/app.py)`. Those
  targets are copied into the site under `repo/` and the links rewritten to the copies, so they keep working
  and MkDocs still checks them: a link to a file that does not exist stays broken and fails the strict build.
- A chart drawn by `make bench` (`docs/img/bench.png`) is not committed. When it is absent, the image
  reference becomes a sentence saying how to generate it, instead of a broken image.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files, InclusionLevel

# A Markdown link or image whose target is a relative path (no scheme, no leading slash), with an optional #anchor.
LINK = re.compile(r"(?P<bang>!?)\[(?P<text>[^\]]*)\]\((?P<target>(?![a-z]+:|/|#)[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")
# Generated images: docs-relative path -> the command that draws them.
GENERATED = {"img/bench.png": "make bench"}
COPIES = "repo"


def _outside_target(page_uri: str, target: str, docs_dir: Path) -> str | None:
    """The repository-relative path a link points to, when it leaves docs/ and names an existing file."""
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_uri), target))
    if not resolved.startswith("../"):
        return None
    # NOTE: normpath, not resolve(): a symlinked folder in the checkout is still "in the repository"
    path = Path(os.path.normpath(docs_dir.absolute() / resolved))
    root = Path(os.path.normpath(docs_dir.absolute().parent))
    if not path.is_file() or path.suffix == ".md" or not path.is_relative_to(root):
        return None  # NOTE: left as it is, so MkDocs reports it (a missing file, a page outside docs/, a folder)
    return path.relative_to(root).as_posix()


def on_files(files: Files, config: Any) -> Files:
    """Add a copy of every repository file that a page links to from outside docs/."""
    docs_dir = Path(config["docs_dir"])
    wanted: set[str] = set()
    for file in files.documentation_pages():
        text = Path(file.abs_src_path or "").read_text(encoding="utf-8")
        for match in LINK.finditer(text):
            outside = _outside_target(file.src_uri, match["target"], docs_dir)
            if outside is not None:
                wanted.add(outside)
    root = Path(os.path.normpath(docs_dir.absolute().parent))
    for outside in sorted(wanted):
        copy = File.generated(
            config, f"{COPIES}/{outside}", abs_src_path=str(root / outside), inclusion=InclusionLevel.NOT_IN_NAV
        )
        files.append(copy)
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Point links that leave docs/ at the copies, and replace a generated image that is not there yet."""
    docs_dir = Path(config["docs_dir"])
    page_uri = page.file.src_uri

    def rewrite(match: re.Match[str]) -> str:
        target, anchor = match["target"], match["anchor"] or ""
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page_uri), target))
        if match["bang"] and resolved in GENERATED and not (docs_dir / resolved).is_file():
            return f"*(The chart `docs/{resolved}` is drawn by `{GENERATED[resolved]}`; it has not been generated.)*"
        outside = _outside_target(page_uri, target, docs_dir)
        if outside is None:
            return match[0]
        local = posixpath.relpath(f"{COPIES}/{outside}", posixpath.dirname(page_uri) or ".")
        return f"{match['bang']}[{match['text']}]({local}{anchor})"

    return LINK.sub(rewrite, markdown)
