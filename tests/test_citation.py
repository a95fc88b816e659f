"""CITATION.cff and CHANGELOG.md: the tool can be cited and its versions followed; both
name the package's own version."""

from __future__ import annotations

import re

import yaml

import sim

from .conftest import ROOT


def test_citation_file_is_valid_cff_and_names_this_version():
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    # the fields CFF 1.2.0 requires, and the ones a citation needs
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert data.get(key), key
    assert data["cff-version"] == "1.2.0"
    assert str(data["version"]) == sim.__version__
    assert all("name" in a or "family-names" in a for a in data["authors"])


def test_changelog_keeps_an_unreleased_section_and_this_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", text, flags=re.M)
    assert headings[0] == "Unreleased"
    assert sim.__version__ in headings
    for section in re.findall(r"^### (\w+)", text, flags=re.M):
        assert section in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
