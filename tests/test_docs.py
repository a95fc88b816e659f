"""The documentation site builds with ``mkdocs build --strict``: the README as its home
page, the guides, the model's documentation and the API reference from the docstrings; a
broken link fails the build."""

from __future__ import annotations

import shutil
import subprocess
import sys

from .conftest import ROOT


def _build(root, site):
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
                           str(site), "--config-file", str(root / "mkdocs.yml")],
                          capture_output=True, text=True, cwd=root)


def test_the_site_builds_strictly_with_the_api_reference(tmp_path):
    done = _build(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stderr
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for name in ("sim.api.run", "sim.api.RunResult", "sim.api.compare", "sim.api.sweep",
                 "sim.api.calibrate", "sim.api.explain"):
        assert name in api, name
    home = (tmp_path / "site" / "index.html").read_text()
    assert "A tour" in home and 'href="teaching/"' in home
    assert (tmp_path / "site" / "notebooks" / "quickstart.ipynb").exists()


def test_a_broken_link_fails_the_build(tmp_path):
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("mkdocs.yml", "README.md", "CHANGELOG.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "docs", copy / "docs")
    page = copy / "docs" / "teaching.md"
    page.write_text(page.read_text() + "\nSee [the missing page](no-such-page.md).\n")
    done = _build(copy, tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-page.md" in done.stderr
