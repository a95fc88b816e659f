"""How each run ends: the rules of ``sim.model.bands`` applied to a finished model.

A lasting deal covers the broad layers (a partial cut or a comprehensive deal); a partial
deal (the fentanyl layer for precursor action) leaves them; a pause holds while its clock
runs.  See ``sim.model.bands`` for the rules and thresholds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.bands import OUTCOMES, Bands, classify
from sim.model.packages import PACKAGES

if TYPE_CHECKING:
    from sim.model.model import TradeWarModel

__all__ = ["OUTCOMES", "Bands", "classify_model"]


def classify_model(model: TradeWarModel, tariff: dict[str, np.ndarray],
                   tools: dict[str, np.ndarray], weeks: int | None = None) -> np.ndarray:
    """Outcome code per run (index into ``OUTCOMES``) from the recorded paths (weeks 0 to
    ``weeks``, all if None) and the deals in force now."""
    w = model.week if weeks is None else weeks
    lasting = np.zeros(model.n, dtype=bool)
    partial = np.zeros(model.n, dtype=bool)
    for k, pkg in enumerate(PACKAGES):
        if pkg.temporary:
            continue
        broad = "reciprocal" in pkg.us_layers or "retaliatory" in pkg.cn_layers
        if broad:
            lasting |= model.in_force[k]
        else:
            partial |= model.in_force[k]
    p = model.p
    return classify(
        us_tariff_path=tariff["us"][: w + 1], cn_tariff_path=tariff["cn"][: w + 1],
        cn_tools_path=tools["cn"][: w + 1], us_tools_path=tools["us"][: w + 1],
        us_broad=model.us.layers["reciprocal"], cn_broad=model.cn.layers["retaliatory"],
        us_broad_start=p["initial.us_reciprocal"], cn_broad_start=p["initial.cn_retaliatory"],
        lasting_deal=lasting, pause_in_force=model.truce_left > 0,
        partial_deal_in_force=partial, escalation_step=p["us.escalation_step"])
