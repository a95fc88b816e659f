"""The evidence base: every parameter is sourced, every citation resolves, every record is
well-formed and written in the project's own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sim.io import evidence
from sim.model.parameters import BY_NAME, CN_COMMITMENT_EVENTS, PARAMS, US_COMMITMENT_EVENTS

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO.parent / "shared" / "seeds"
RUN = 10  # words: no run this long may be copied from a source document


def _words(text: str) -> list[str]:
    """Lower-cased word tokens, with typographic quotes and dashes made plain."""
    text = text.lower().translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"',
                                                 "–": "-", "—": "-"}))
    return re.findall(r"[a-z0-9$%']+", text)


@pytest.fixture(scope="module")
def ev() -> dict[str, dict]:
    return evidence.load_evidence()


@pytest.fixture(scope="module")
def lit() -> dict[str, dict]:
    return evidence.load_literature()


@pytest.fixture(scope="module")
def docs() -> dict[str, str]:
    if not DOCS.is_dir():
        pytest.skip(f"{DOCS} not present")
    return {p.name: " ".join(_words(p.read_text(encoding="utf-8")))
            for p in sorted(DOCS.glob("*.txt"))}


def _raw_ids(file: str, key: str) -> list[str]:
    with (evidence.seeds_dir() / file).open(encoding="utf-8") as fh:
        return [r["id"] for r in yaml.safe_load(fh)[key]]


# --- parameters ---------------------------------------------------------------------------

@pytest.mark.parametrize("p", PARAMS, ids=lambda p: p.name)
def test_every_default_has_provenance(p) -> None:
    assert p.cites or p.assumption.strip(), f"{p.name} has neither citations nor an assumption"


def test_every_citation_resolves() -> None:
    assert evidence.unresolved_citations() == []


def test_provenance_table_covers_every_parameter() -> None:
    table = evidence.provenance_table()
    assert [row["name"] for row in table] == [p.name for p in PARAMS]
    for row in table:
        assert set(row) == {"name", "default", "unit", "range", "provenance", "sources",
                            "assumption", "doc", "calibrated"}
        assert row["provenance"]
        assert not any(s.endswith("UNRESOLVED") for s in row["sources"]), row


@pytest.mark.parametrize("side, events", [("us", US_COMMITMENT_EVENTS),
                                          ("cn", CN_COMMITMENT_EVENTS)])
def test_face_default_counts_cited_commitment_events(side, events, ev) -> None:
    p = BY_NAME[f"initial.{side}_face"]
    assert p.default == len(p.cites) == len(set(p.cites)) == len(events)
    for cid in p.cites:
        assert cid in ev, f"{cid} is not an evidence record"
        assert ev[cid]["actor"] == side, f"{cid} is not a {side} commitment"


@pytest.mark.parametrize("param, record", [
    ("initial.us_fentanyl", "us-tariff-fentanyl-20"),
    ("initial.us_reciprocal", "us-tariff-reciprocal-125"),
    ("initial.cn_retaliatory", "cn-tariff-retaliatory-125"),
])
def test_tariff_layers_match_the_documents(param, record, ev) -> None:
    assert BY_NAME[param].default == ev[record]["value"]


def test_us_layers_add_up_to_the_reported_total(ev) -> None:
    total = BY_NAME["initial.us_fentanyl"].default + BY_NAME["initial.us_reciprocal"].default
    assert total == ev["us-tariff-total-145"]["value"]


def test_pause_length_matches_the_documents(ev) -> None:
    assert BY_NAME["deal.pause_weeks"].default == round(ev["us-pause-others-90d"]["value"] / 7)


# --- evidence records -----------------------------------------------------------------------

def test_evidence_ids_unique() -> None:
    ids = _raw_ids(evidence.EVIDENCE_FILE, "evidence")
    assert len(ids) == len(set(ids))


def test_literature_ids_unique_and_disjoint() -> None:
    lit_ids = _raw_ids(evidence.LITERATURE_FILE, "literature")
    assert len(lit_ids) == len(set(lit_ids))
    assert not set(lit_ids) & set(_raw_ids(evidence.EVIDENCE_FILE, "evidence"))


def test_evidence_sources_exist(ev, docs) -> None:
    missing = {r["id"]: r["source"] for r in ev.values() if r["source"] not in docs}
    assert not missing


def test_claims_are_not_copied(ev, docs) -> None:
    copied = []
    for r in ev.values():
        words = _words(r["claim"])
        for i in range(len(words) - RUN + 1):
            run = " ".join(words[i:i + RUN])
            hits = [name for name, text in docs.items() if f" {run} " in f" {text} "]
            if hits:
                copied.append((r["id"], run, hits))
    assert not copied


def test_quotes_are_short_and_verbatim(ev, docs) -> None:
    for r in ev.values():
        if "quote" in r:
            assert len(r["quote"].split()) <= evidence.MAX_QUOTE_WORDS, r["id"]
            phrase = " ".join(_words(r["quote"]))
            assert f" {phrase} " in f" {docs[r['source']]} ", f"{r['id']}: quote not in source"


def test_values_with_units_are_numeric(ev, lit) -> None:
    for r in [*ev.values(), *lit.values()]:
        assert ("value" in r) == ("unit" in r), r["id"]
        if "value" in r:
            assert isinstance(r["value"], int | float) and not isinstance(r["value"], bool)
            assert r["unit"].strip()


def test_evidence_record_fields(ev) -> None:
    for r in ev.values():
        assert r["actor"] in {"us", "cn", "analyst", "third-party"}
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"]), r["id"]
        assert "2025-01-01" <= r["date"] <= "2025-12-31", r["id"]


def test_literature_records_have_citation_and_finding(lit) -> None:
    for r in lit.values():
        assert r["citation"].strip() and r["finding"].strip(), r["id"]


# --- loader behaviour ---------------------------------------------------------------------

def test_lookup_suggests_close_ids() -> None:
    assert evidence.lookup("cn-fight-to-end")["actor"] == "cn"
    assert evidence.lookup("lit-fearon1994")["doi"] == "10.2307/2944796"
    with pytest.raises(KeyError, match="cn-fight-to-end"):
        evidence.lookup("cn-fight-to-the-end")


def test_seeds_dir_override(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(evidence.ENV_VAR, str(tmp_path))
    assert evidence.seeds_dir() == tmp_path.resolve()
    with pytest.raises(FileNotFoundError):
        evidence.load_evidence()


def test_validation_rejects_bad_records(tmp_path, monkeypatch) -> None:
    good = {"id": "x-fact", "claim": "A fact written in our own words.", "date": "2025-04-24",
            "actor": "us", "source": "001_36948d5db83abc63.txt"}
    (tmp_path / evidence.LITERATURE_FILE).write_text("literature: []\n")
    monkeypatch.setenv(evidence.ENV_VAR, str(tmp_path))
    for bad in ({"actor": "eu"}, {"source": "notes.txt"}, {"value": 3},
                {"quote": "one two three four five six seven"}, {"id": "Not Kebab"}):
        (tmp_path / evidence.EVIDENCE_FILE).write_text(
            yaml.safe_dump({"evidence": [good | bad]}))
        with pytest.raises(ValueError):
            evidence.load_evidence()
    (tmp_path / evidence.EVIDENCE_FILE).write_text(yaml.safe_dump({"evidence": [good, good]}))
    with pytest.raises(ValueError, match="duplicate"):
        evidence.load_evidence()
