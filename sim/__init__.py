"""tradewar-sim: an agent-based simulator of the 2025 US-China tariff negotiation.

The public API (``sim.api``), loaded when first used so that ``import sim`` stays fast:

- :func:`load_scenario` a scenario from a file or a mapping, validated;
- :func:`run` a scenario's Monte-Carlo ensemble -> :class:`~sim.api.RunResult`;
- :func:`compare` scenarios with common random numbers -> :class:`~sim.api.CompareResult`;
- :func:`explain` one run, week by week -> :class:`~sim.api.Story`;
- :func:`sweep` an experiment's parameter sweep -> :class:`~sim.api.SweepResult`
  (``analyze()``, ``plot()``);
- :func:`calibrate` by history matching -> :class:`~sim.api.CalibrationResult`;
- :func:`hypothesis` checks of scenarios' stated directions -> :class:`~sim.api.HypothesisResult`;
- :func:`targets`: the documents' patterns on the runs -> :class:`~sim.api.TargetsResult`;
- :func:`evidence`: every parameter with its provenance, as a table;
- :class:`InputError`, raised on bad input with the message the command line prints.

    >>> import sim
    >>> result = sim.run("scenarios/baseline.yaml", runs=500)
    >>> print(result.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim._version import __version__

__all__ = ["CalibrationResult", "CompareResult", "HypothesisResult", "InputError",
           "RunResult", "Story", "SweepResult", "TargetsResult", "__version__", "calibrate",
           "compare", "evidence", "explain", "hypothesis", "load_scenario", "run", "sweep",
           "targets"]

if TYPE_CHECKING:
    from sim.api import (
        CalibrationResult,
        CompareResult,
        HypothesisResult,
        RunResult,
        Story,
        SweepResult,
        TargetsResult,
        calibrate,
        compare,
        evidence,
        explain,
        hypothesis,
        load_scenario,
        run,
        sweep,
        targets,
    )
    from sim.io.yamlio import InputError


def __getattr__(name: str) -> Any:
    """The API's names, imported on first use (PEP 562)."""
    if name == "InputError":
        from sim.io.yamlio import InputError

        return InputError
    if name in __all__:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
