"""The parameters the sources leave to assumption, and the range each is swept over.

A parameter is *assumption-only* when its declaration carries an assumption
(``Param.assumption``: the documents and the literature do not pin its value).  Its range
for a global sensitivity study (``experiments/sobol_assumptions.yaml``) follows one rule,
so that no range is chosen to make a result come out:

- its declared sweep range (``Param.sweep``), where it has one;
- a flag (a whole number in [0, 1]): both values;
- any other value: half to one and a half times the default (rounded for whole numbers,
  at least one step either side), clipped to the valid range;
- a default of 0: from 0 to a twentieth of the valid range.

Saltelli (2002) and Saltelli et al. (2010) for the design; Iooss & Lemaître (2015) on
screening wide uncertainty before narrowing it.

The calibration (``sim.experiments.calibrate``) fits the same parameters over the same
ranges, but for the dials declared ``fitted=False`` (``Param.fitted``): a modelling stance an
analyst sets, which the sensitivity study still sweeps and ``--factor`` can weigh against the
documents.  The one such dial, the status-quo bias, was declared so after it had been fitted
and its effect measured (``docs/calibration.md``, 'The status-quo bias'): its range is the
rule's, unchanged; what changed is that the model's outcomes are not to rest on it.
"""

from __future__ import annotations

from sim.model.parameters import PARAMS, Param


def assumption_parameters() -> list[Param]:
    """Every parameter whose value rests on an assumption, in declaration order."""
    return [p for p in PARAMS if p.assumption]


def factor(p: Param) -> dict:
    """The experiment factor of one assumption-only parameter (see the module rule)."""
    if p.sweep is not None:
        return {"range": [p.sweep[0], p.sweep[1]]}
    if p.integer and p.lo == 0 and p.hi == 1:
        return {"values": [0, 1]}
    if p.default == 0:
        return {"range": [p.lo, round(p.lo + (p.hi - p.lo) / 20, 6)]}
    low, high = 0.5 * p.default, 1.5 * p.default
    if p.integer:
        low, high = min(round(low), p.default - 1), max(round(high), p.default + 1)
    low, high = max(low, p.lo), min(high, p.hi)
    return {"range": [round(float(low), 6), round(float(high), 6)],
            **({"integer": True} if p.integer else {})}


def assumption_factors() -> dict[str, dict]:
    """Factor of every assumption-only parameter, by name."""
    return {p.name: factor(p) for p in assumption_parameters()}


def calibration_parameters() -> list[Param]:
    """The assumption-only parameters history matching fits: all but the dials declared
    not fitted (``Param.fitted``), in declaration order."""
    return [p for p in assumption_parameters() if p.fitted]


def calibration_factors() -> dict[str, dict]:
    """Factor of every parameter history matching fits, by name (the prior box)."""
    return {p.name: factor(p) for p in calibration_parameters()}
