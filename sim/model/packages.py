"""Deal packages, declared as data: what each side gives, the channel a deal needs.

Packages combine moves from both sides' concession menus (Rubinstein 1982's offers with
the documents' items): the fentanyl layer for a precursor crackdown (cn-fentanyl-linkage,
wu-fentanyl-first-path), a mutual pause (us-pause-others-90d, us-mutual-deescalation), a
comprehensive deal that leaves tariffs "down, but not to zero" (us-not-zero), and a
Phase-One-style deal built on purchases that Beijing resists (cn-no-phase-one-repeat).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Package:
    """A deal: target tariff levels and tools lifted for each side."""

    name: str
    channel: int  # lowest channel level at which it can be agreed
    summary: str
    us_layers: dict[str, str] = field(default_factory=dict)  # layer -> level parameter or "0"
    cn_layers: dict[str, str] = field(default_factory=dict)
    cn_tools_lifted: tuple[str, ...] = ()
    us_tools_lifted: tuple[str, ...] = ()
    temporary: bool = False  # a pause: expires after deal.pause_weeks
    precursor_action: bool = False
    purchases: bool = False
    cites: tuple[str, ...] = ()


PACKAGES: tuple[Package, ...] = (
    Package("fentanyl_for_precursors", 2,
            "US drops the 20% fentanyl layer; China cracks down on precursor chemicals",
            us_layers={"fentanyl": "0"}, precursor_action=True,
            cites=("cn-fentanyl-linkage", "wu-fentanyl-first-path")),
    Package("truce", 3,
            "90-day pause: both broad layers down to the 10% rate, rare-earth curbs suspended",
            us_layers={"reciprocal": "deal.pause_rate"},
            cn_layers={"retaliatory": "deal.pause_rate"},
            cn_tools_lifted=("rare_earth",), temporary=True,
            cites=("us-pause-others-90d", "us-mutual-deescalation", "wu-fentanyl-first-path")),
    Package("comprehensive", 4,
            "lasting deal: US layers down to a floor, China mirrors and lifts its other tools",
            us_layers={"fentanyl": "0", "reciprocal": "deal.us_floor"},
            cn_layers={"retaliatory": "deal.cn_floor"},
            cn_tools_lifted=("rare_earth", "films", "farm_diversion", "yuan", "treasuries"),
            precursor_action=True,
            cites=("us-multi-step", "us-not-zero", "us-deal-2-3-years")),
    Package("phase_one", 4,
            "comprehensive deal plus Chinese purchase commitments, Phase One style",
            us_layers={"fentanyl": "0", "reciprocal": "deal.us_floor"},
            cn_layers={"retaliatory": "deal.cn_floor"},
            cn_tools_lifted=("rare_earth", "films", "farm_diversion", "yuan", "treasuries"),
            precursor_action=True, purchases=True,
            cites=("us-phase-one-shortfall", "cn-no-phase-one-repeat", "lit-bown-phase-one")),
)

BY_NAME: dict[str, Package] = {pkg.name: pkg for pkg in PACKAGES}
INDEX: dict[str, int] = {pkg.name: i for i, pkg in enumerate(PACKAGES)}
# The packages either side puts forward on its own, in the order of a multi-step process
# (us-multi-step): Phase One is only ever offered when a scenario says so.
LADDER: tuple[str, ...] = ("fentanyl_for_precursors", "truce", "comprehensive")
