"""docs/odd.md describes the model as the code has it: every parameter and every move is
named there (ODD+D, Müller et al. 2013), so a new one cannot go undocumented."""

from __future__ import annotations

import re

from sim.model.moves import MOVES
from sim.model.parameters import PARAMS

from .conftest import ROOT

ODD = (ROOT / "docs" / "odd.md").read_text()
NAMED = set(re.findall(r"`([a-z_][a-z0-9_.]*)`", ODD))


def test_every_parameter_is_in_the_odd_document():
    missing = [p.name for p in PARAMS if p.name not in NAMED]
    assert not missing, f"docs/odd.md does not name: {', '.join(missing)}"


def test_every_move_is_in_the_odd_document():
    missing = [m.name for m in MOVES if m.name not in NAMED]
    assert not missing, f"docs/odd.md does not name: {', '.join(missing)}"


def test_the_odd_document_has_every_section():
    for heading in ("Purpose and patterns", "Entities, state variables and scales",
                    "Process overview and scheduling", "Individual decision-making",
                    "Learning", "Individual sensing", "Individual prediction", "Interaction",
                    "Collectives", "Heterogeneity", "Stochasticity", "Observation",
                    "Initialization", "Input data", "Submodels"):
        assert f" {heading}\n" in ODD, heading
