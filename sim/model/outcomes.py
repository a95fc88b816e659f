"""How each run ends, by documented rules applied to the state at the horizon.

Rules, checked in order (the first that holds names the outcome):

1. ``comprehensive_deal`` - a comprehensive or Phase-One-style deal is in force.
2. ``truce`` - a pause or a partial deal (fentanyl for precursors) is in force.
3. ``escalation`` - no deal in force, and the US tariff is at least half an escalation
   step above its start, or China has more non-tariff tools in force than at the start.
   (A run that escalated while a pause or partial deal stayed in force counts under rule
   2: the deal in force names the outcome.)
4. ``de_escalation`` - no deal in force, and a side's effective tariff is at least one
   quarter below its start (unilateral, private or matched cuts without a deal).
5. ``managed_stalemate`` - none of these: the standoff holds ("talk but don't yield",
   cn-talk-dont-yield).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.packages import INDEX as PACKAGE_INDEX

if TYPE_CHECKING:
    from sim.model.model import TradeWarModel

OUTCOMES: tuple[str, ...] = ("comprehensive_deal", "truce", "de_escalation",
                             "managed_stalemate", "escalation")


def classify(model: TradeWarModel, start_us: np.ndarray, start_cn: np.ndarray,
             start_cn_tools: np.ndarray) -> np.ndarray:
    """Outcome code per run (index into ``OUTCOMES``)."""
    comp = (model.in_force[PACKAGE_INDEX["comprehensive"]]
            | model.in_force[PACKAGE_INDEX["phase_one"]])
    partial = model.in_force[PACKAGE_INDEX["fentanyl_for_precursors"]] | (model.truce_left > 0)
    us, cn = model.us.tariff(), model.cn.tariff()
    tools = sum(model.cn.tools.values())
    rise = max(0.5 * model.p["us.escalation_step"], 1e-3)
    escalated = (us >= start_us + rise) | (tools > start_cn_tools + 0.5)
    cut = (us <= 0.75 * start_us) | (cn <= 0.75 * start_cn)
    code = np.full(model.n, OUTCOMES.index("managed_stalemate"), dtype=np.int8)
    code[cut] = OUTCOMES.index("de_escalation")
    code[escalated] = OUTCOMES.index("escalation")
    code[partial] = OUTCOMES.index("truce")
    code[comp] = OUTCOMES.index("comprehensive_deal")
    return code
