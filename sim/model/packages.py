"""The issue space: deal packages as points, declared as data.

A package says what each side gives: target levels of its tariff layers, tools it lifts
(graded tools go to zero), and the non-tariff items on the table - China's action on
fentanyl precursors (cn-fentanyl-linkage), purchase commitments (us-phase-one-shortfall,
cn-no-phase-one-repeat) and US export controls eased (us-export-controls).  A package is
lasting or a pause of ``deal.pause_weeks`` (us-pause-others-90d).  The first four are the
documents' named deals, which scenario files can refer to; the rest fill in the issue space
between them (partial cuts, tools traded, lopsided splits), so that a proposer chooses what
to offer (Rubinstein 1982; Powell 2006) rather than climbing a fixed ladder.  A coercive tool
can also be traded one by one (``trade``): China's soybean buying, which the White House
asks for (us-farm-purchase-demand), goes with the fentanyl deal; adding an issue the sides
value differently can make a deal where none was (Sebenius 1983).  Such a package is on the
table only while both its halves are there to give (the tool in use, the layer above its
target; elsewhere it would repeat the smaller deal or have one side give for nothing) and
while ``deal.tool_trades`` is on.  The channel
level a package needs follows its scope: a single item at deputy level, a partial deal at
ministerial level, a comprehensive one at leader level (us-multi-step,
wu-ministerial-then-leader).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Target levels of a layer: "0", a parameter name, or "partial" (the peak layer times
# ``deal.partial_cut_share`` off, i.e. a cut part of the way to the pause rate).
Level = str


@dataclass(frozen=True)
class Package:
    """A deal: target tariff levels, tools lifted and items given by each side."""

    name: str
    channel: int  # lowest channel level at which it can be signed
    summary: str
    us_layers: dict[str, Level] = field(default_factory=dict)
    cn_layers: dict[str, Level] = field(default_factory=dict)
    cn_tools_lifted: tuple[str, ...] = ()
    us_tools_lifted: tuple[str, ...] = ()
    temporary: bool = False  # a pause: the broad layers and lifted tools snap back
    precursor_action: bool = False
    purchases: bool = False
    trade: bool = False  # a tool traded one by one: open only while both halves are there
    cites: tuple[str, ...] = ()

    @property
    def items(self) -> str:
        """Short list of what is in the package, for tables and narratives."""
        parts = []
        for side, layers in (("US", self.us_layers), ("CN", self.cn_layers)):
            for layer, level in layers.items():
                parts.append(f"{side} {layer}->{level}")
        if self.cn_tools_lifted:
            parts.append("CN lifts " + "+".join(self.cn_tools_lifted))
        if self.us_tools_lifted:
            parts.append("US eases " + "+".join(self.us_tools_lifted))
        if self.precursor_action:
            parts.append("precursor action")
        if self.purchases:
            parts.append("purchases")
        if self.temporary:
            parts.append("pause")
        return ", ".join(parts)


ALL_CN_TOOLS = ("rare_earth", "films", "farm_diversion", "yuan", "treasuries")
_FENT = {"fentanyl": "0"}
_PAUSE_US = {"reciprocal": "deal.pause_rate"}
_PAUSE_CN = {"retaliatory": "deal.pause_rate"}
_PART_US = {"reciprocal": "partial"}
_PART_CN = {"retaliatory": "partial"}
_FLOOR_US = {"fentanyl": "0", "reciprocal": "deal.us_floor"}
_FLOOR_CN = {"retaliatory": "deal.cn_floor"}
_MULTI = ("us-multi-step", "us-mutual-deescalation")

PACKAGES: tuple[Package, ...] = (
    # --- the documents' named deals ---------------------------------------------------
    Package("fentanyl_for_precursors", 2,
            "US drops the 20% fentanyl layer; China cracks down on precursor chemicals",
            us_layers=_FENT, precursor_action=True,
            cites=("cn-fentanyl-linkage", "wu-fentanyl-first-path")),
    Package("truce", 3,
            "90-day pause: both broad layers down to the 10% rate, rare-earth curbs suspended",
            us_layers=_PAUSE_US, cn_layers=_PAUSE_CN, cn_tools_lifted=("rare_earth",),
            temporary=True,
            cites=("us-pause-others-90d", "us-mutual-deescalation", "wu-fentanyl-first-path")),
    Package("comprehensive", 4,
            "lasting deal: US layers down to a floor, China mirrors and lifts its other tools",
            us_layers=_FLOOR_US, cn_layers=_FLOOR_CN, cn_tools_lifted=ALL_CN_TOOLS,
            precursor_action=True, cites=("us-multi-step", "us-not-zero", "us-deal-2-3-years")),
    Package("phase_one", 4,
            "comprehensive deal plus Chinese purchase commitments, Phase One style",
            us_layers=_FLOOR_US, cn_layers=_FLOOR_CN, cn_tools_lifted=ALL_CN_TOOLS,
            precursor_action=True, purchases=True,
            cites=("us-phase-one-shortfall", "cn-no-phase-one-repeat", "lit-bown-phase-one")),
    # --- the rest of the issue space -----------------------------------------------------
    Package("truce_fentanyl", 3,
            "90-day pause of the broad layers plus the fentanyl layer for precursor action",
            us_layers={**_FENT, **_PAUSE_US}, cn_layers=_PAUSE_CN,
            cn_tools_lifted=("rare_earth",), temporary=True, precursor_action=True,
            cites=("wu-fentanyl-first-path", "cn-fentanyl-linkage", "us-pause-others-90d")),
    Package("truce_controls", 3,
            "90-day pause with US export controls eased as well as rare-earth curbs",
            us_layers=_PAUSE_US, cn_layers=_PAUSE_CN, cn_tools_lifted=("rare_earth",),
            us_tools_lifted=("export_controls",), temporary=True,
            cites=("us-export-controls", "cn-talk-dont-yield", "us-pause-others-90d")),
    Package("partial_cut", 3,
            "lasting matched cut of both broad layers part of the way down",
            us_layers=_PART_US, cn_layers=_PART_CN, cites=_MULTI),
    Package("partial_cut_tools", 3,
            "partial matched cut; China lifts rare-earth curbs, the US eases export controls",
            us_layers=_PART_US, cn_layers=_PART_CN, cn_tools_lifted=("rare_earth",),
            us_tools_lifted=("export_controls",),
            cites=(*_MULTI, "cn-rare-earth-controls", "us-export-controls")),
    Package("partial_cut_fentanyl", 3,
            "partial matched cut plus the fentanyl layer for precursor action",
            us_layers={**_FENT, **_PART_US}, cn_layers=_PART_CN, precursor_action=True,
            cites=(*_MULTI, "cn-fentanyl-linkage")),
    Package("china_gives_more", 3,
            "the US cuts part of the way; China cuts to the floor and lifts rare-earth curbs",
            us_layers=_PART_US, cn_layers=_FLOOR_CN, cn_tools_lifted=("rare_earth",),
            cites=("us-ball-in-china-court", "us-big-deal-rebalancing")),
    Package("us_gives_more", 3,
            "the US cuts to the floor and drops the fentanyl layer; China cuts part of the way",
            us_layers=_FLOOR_US, cn_layers=_PART_CN, precursor_action=True,
            cites=("cn-demand-lift-all", "cn-equal-basis")),
    Package("comprehensive_controls", 4,
            "comprehensive deal with US export controls eased too",
            us_layers=_FLOOR_US, cn_layers=_FLOOR_CN, cn_tools_lifted=ALL_CN_TOOLS,
            us_tools_lifted=("export_controls",), precursor_action=True,
            cites=("us-multi-step", "us-export-controls", "cn-talk-dont-yield")),
    Package("fentanyl_for_soybeans", 2,
            "US drops the fentanyl layer; China acts on precursors and buys US farm goods again",
            us_layers=_FENT, cn_tools_lifted=("farm_diversion",), precursor_action=True,
            trade=True,
            cites=("cn-fentanyl-linkage", "us-farm-purchase-demand", "cn-soy-diversion",
                   "lit-sebenius1983")),
)

BY_NAME: dict[str, Package] = {pkg.name: pkg for pkg in PACKAGES}
INDEX: dict[str, int] = {pkg.name: i for i, pkg in enumerate(PACKAGES)}
NAMED: tuple[str, ...] = ("fentanyl_for_precursors", "truce", "comprehensive", "phase_one")
"""Packages scenario files may name; the rest are points the agents themselves may offer."""
OFFERED_BY_AGENTS: tuple[int, ...] = tuple(
    i for i, pkg in enumerate(PACKAGES) if not pkg.purchases)
"""Phase One style purchase deals are only put forward when a scenario says so."""
COMPREHENSIVE = frozenset(i for i, pkg in enumerate(PACKAGES) if pkg.channel == 4)
