"""The documentation builds as a site, strictly (a broken link or a vanished name fails it), with
an API page that documents every public name from its own docstring."""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import randrnn

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = DOCS / "api.md"


def _need_mkdocs() -> None:
    """CI installs the `docs` extra and must build the site; elsewhere, without it, skip."""
    if not os.environ.get("CI"):
        pytest.importorskip("mkdocs")
        pytest.importorskip("mkdocstrings")


def _build(config_dir: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=config_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _text(page: Path) -> str:
    """A built page's visible text, whitespace normalised."""
    raw = re.sub(
        r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.DOTALL
    )
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _api_entries() -> list[str]:
    return re.findall(r"^::: (\S+)\s*$", API.read_text(encoding="utf-8"), re.MULTILINE)


def test_api_page_lists_every_public_name_at_its_module():
    """Every name of `randrnn.__all__` has its `::: module.name` entry, and nothing else does."""
    public = [name for name in randrnn.__all__ if name != "__version__"]
    wanted = {f"{randrnn._EXPORTS.get(name, 'randrnn')}.{name}" for name in public}
    entries = _api_entries()
    assert len(entries) == len(set(entries))
    assert set(entries) == wanted


def test_nav_holds_every_page():
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    in_nav = [next(iter(item.values())) for item in config["nav"]]
    assert sorted(in_nav) == sorted(p.name for p in DOCS.glob("*.md"))


def test_site_builds_strictly_with_the_api_from_docstrings(tmp_path):
    _need_mkdocs()
    done = _build(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    api = _text(tmp_path / "site" / "api" / "index.html")
    for name in ("build_model", "fit", "TrainConfig", "apply_pruning"):
        first_line = inspect.getdoc(getattr(randrnn, name)).splitlines()[0]
        assert " ".join(first_line.split()).replace("``", "") in api.replace("``", ""), name
    home = _text(tmp_path / "site" / "index.html")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for line in re.findall(r"^randrnn .*?(?=\s+#|$)", readme, re.MULTILINE)[:5]:
        assert " ".join(line.split()) in home  # the landing page is the README
    links = re.findall(r'href="([^"]+)"', (tmp_path / "site" / "index.html").read_text())
    assert "method/" in links and not any(link.startswith("docs/") for link in links)


def test_strict_build_fails_on_a_broken_link(tmp_path):
    """The check has teeth: the same site with one link to a missing page does not build."""
    _need_mkdocs()
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("mkdocs.yml", "README.md"):
        (copy / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    (copy / "randrnn").symlink_to(ROOT / "randrnn")
    (copy / "docs").mkdir()
    for page in DOCS.rglob("*"):
        if page.is_file():
            target = copy / "docs" / page.relative_to(DOCS)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(page.read_bytes())
    with open(copy / "docs" / "data.md", "a", encoding="utf-8") as page:
        page.write("\nSee [the lost page](no-such-page.md).\n")
    done = _build(copy, tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-page.md" in done.stdout + done.stderr
