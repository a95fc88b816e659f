"""How each run ends: outcome bands on the broad tariff layers, the deals in force and the paths.

``classify`` names the outcome of every run at once (vectorized over runs) from the
tariff and tool paths, the final and starting levels of each side's *broad* layer (the US
'reciprocal' layer, China's 'retaliatory' layer) and which deals are in force at the end.
It is pure: no model state, no randomness. Every threshold is a field of ``Bands``.

Rules, checked in order (the first that holds names the outcome):

1. ``comprehensive_deal`` - a comprehensive (lasting) deal is in force AND both broad
   layers are at or below the floor band, ``floor_band`` (default 15 pp: the deal floor of
   10 pp plus 5 pp tolerance). A deal brings the layers down but not to zero (us-not-zero).
2. ``truce`` - a deal is in force (a pause, a partial deal or a lasting deal) AND both broad
   layers are paused or cut into the truce band: each side's broad layer is at or below
   ``truce_share`` (default 0.5) of its own starting level, or at or below the floor band,
   whichever is higher. A 90-day pause at 10 pp is the model case (us-pause-others-90d).
   If both broad layers *started* at or below the floor band (a scenario that opens on an
   existing truce), a run that keeps both there is a truce even with no deal recorded in
   force, unless rule 1 holds.
3. ``partial_deal`` - some deal is in force, but the broad layers are not in the truce
   band: e.g. only the 20% fentanyl layer was swapped for a precursor crackdown while the
   broad layers stay at 125/125 pp (cn-fentanyl-linkage). This is *not* a truce.
4. ``escalation`` - no deal in force, and a *sustained* rise: in every one of the last
   ``sustain_weeks`` weeks (default 8) of the path, the US effective tariff stood at least
   ``rise_steps`` (default 0.5) US escalation steps above its start (week 0), OR China's sum
   of tool intensities stood at least ``tool_rise`` (default 0.5) above its start, OR the US
   tool sum likewise, unless the tariffs were cut into the de-escalation band of rule 5
   (tariffs are the war's main instrument: a tool left on while the tariffs came down is a
   de-escalation, not an escalation). The US answers retaliation with a hike
   (us-answers-every-retaliation), so one noisy hike that was reversed before the last
   ``sustain_weeks`` weeks does not count: only a rise that holds to the end does. Paths
   shorter than ``sustain_weeks + 1`` rows use every week after week 0; a path with only
   week 0 never escalates.
5. ``de_escalation`` - no deal in force, and in the final week either side's effective
   tariff is at or below ``1 - cut_share`` (default cut_share 0.25) of its start:
   unilateral, private or matched cuts without a deal. A side that started at 0 % has
   nothing to cut and never counts.
6. ``managed_stalemate`` - none of these: the standoff holds, the sides talk but do not
   yield (cn-talk-dont-yield).

A deal in force names the outcome: a run that escalated while a truce held is a truce.
Comparisons ("at or below", "at least") tolerate ``atol`` (1e-9) of rounding. Inputs must
be finite (a NaN raises ``ValueError``), so every output is a valid code into ``OUTCOMES``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OUTCOMES: tuple[str, ...] = ("comprehensive_deal", "truce", "partial_deal", "de_escalation",
                             "managed_stalemate", "escalation")
CODE: dict[str, int] = {name: i for i, name in enumerate(OUTCOMES)}


@dataclass(frozen=True)
class Bands:
    """Thresholds of the outcome rules (see the module docstring for the rules)."""

    floor_band: float = 15.0
    """pp. A broad layer at or below this is at the deal floor: the 10 pp floor a
    comprehensive deal leaves (us-not-zero) plus 5 pp tolerance. Rule 1 needs both broad
    layers here; it is also the lowest truce band (rule 2)."""

    truce_share: float = 0.5
    """Share of its starting level at or below which a broad layer counts as paused or cut
    (rule 2). The truce band of a side is ``max(truce_share * start, floor_band)``."""

    rise_steps: float = 0.5
    """US escalation steps. The US effective tariff must stand at least this many steps
    above its start, in every week of the sustain window, for a tariff escalation (rule 4)."""

    min_rise: float = 1e-3
    """pp. Lower bound on the tariff rise of rule 4, so an escalation step of 0 does not
    make every unchanged run an escalation."""

    tool_rise: float = 0.5
    """Tool intensity. A side's sum of tool intensities must stand at least this much above
    its start, in every week of the sustain window, for a tool escalation (rule 4)."""

    sustain_weeks: int = 8
    """Weeks. Length of the window at the end of the path in which a rise must hold in
    every week to count as an escalation (rule 4)."""

    cut_share: float = 0.25
    """Share of its starting effective tariff by which a side must have cut, by the final
    week, for a de-escalation without a deal (rule 5)."""

    atol: float = 1e-9
    """Rounding tolerance of every comparison."""

    def __post_init__(self) -> None:
        checks = {
            "floor_band": self.floor_band >= 0,
            "truce_share": 0 <= self.truce_share <= 1,
            "rise_steps": self.rise_steps >= 0,
            "min_rise": self.min_rise > 0,
            "tool_rise": self.tool_rise > 0,
            "sustain_weeks": (isinstance(self.sustain_weeks, int | np.integer)
                              and not isinstance(self.sustain_weeks, bool)
                              and self.sustain_weeks >= 1),
            "cut_share": 0 < self.cut_share < 1,
            "atol": self.atol >= 0,
        }
        for name, ok in checks.items():
            value = getattr(self, name)
            if not ok or not np.isfinite(value):
                raise ValueError(f"Bands.{name} out of range: {value!r}")


def _path(name: str, x: np.ndarray) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 2 or a.shape[0] < 1:
        raise ValueError(f"{name} must be a 2-D (weeks+1, runs) array, got shape {a.shape}")
    return a


def _per_run(name: str, x, n: int, dtype: type) -> np.ndarray:
    a = np.asarray(x, dtype=dtype)
    try:
        return np.broadcast_to(a, (n,))
    except ValueError:
        raise ValueError(f"{name} must have one entry per run ({n}), got shape {a.shape}") from None


def _sustained_rise(path: np.ndarray, rise: float | np.ndarray, weeks: int,
                    atol: float) -> np.ndarray:
    """True where every one of the last ``weeks`` rows (after row 0) is >= row 0 + rise."""
    w = min(weeks, path.shape[0] - 1)
    if w == 0:
        return np.zeros(path.shape[1], dtype=bool)
    return np.all(path[-w:] >= path[0] + rise - atol, axis=0)


def classify(*, us_tariff_path, cn_tariff_path, cn_tools_path, us_tools_path,
             us_broad, cn_broad, us_broad_start, cn_broad_start,
             lasting_deal, pause_in_force, partial_deal_in_force,
             escalation_step: float | np.ndarray, bands: Bands = Bands()) -> np.ndarray:
    """Outcome code per run (an ``int8`` index into ``OUTCOMES``), by the module's rules.

    Paths are ``(weeks+1, runs)`` arrays, row 0 the start: effective tariffs in % and the
    sum of each side's tool intensities (each tool 0..1). ``us_broad``/``cn_broad`` are the
    final levels of the broad layers and ``*_broad_start`` their starting levels, in pp;
    ``lasting_deal``, ``pause_in_force`` and ``partial_deal_in_force`` say which deals are in
    force at the end. Per-run arguments may be scalars (broadcast to every run).
    ``escalation_step`` is the pp of one US hike.
    """
    us_path = _path("us_tariff_path", us_tariff_path)
    shape = us_path.shape
    paths = {"cn_tariff_path": cn_tariff_path, "cn_tools_path": cn_tools_path,
             "us_tools_path": us_tools_path}
    cn_path, cn_tools, us_tools = (_path(k, v) for k, v in paths.items())
    for name, a in zip(paths, (cn_path, cn_tools, us_tools), strict=True):
        if a.shape != shape:
            raise ValueError(f"{name} has shape {a.shape}, us_tariff_path {shape}")
    n = shape[1]
    us_b, cn_b, us_b0, cn_b0 = (
        _per_run(k, v, n, float) for k, v in (("us_broad", us_broad), ("cn_broad", cn_broad),
                                               ("us_broad_start", us_broad_start),
                                               ("cn_broad_start", cn_broad_start)))
    lasting, pause, partial = (
        _per_run(k, v, n, bool) for k, v in (("lasting_deal", lasting_deal),
                                             ("pause_in_force", pause_in_force),
                                             ("partial_deal_in_force", partial_deal_in_force)))
    step = _per_run("escalation_step", escalation_step, n, float)
    for name, a in (("us_tariff_path", us_path), ("cn_tariff_path", cn_path),
                    ("cn_tools_path", cn_tools), ("us_tools_path", us_tools),
                    ("us_broad", us_b), ("cn_broad", cn_b), ("us_broad_start", us_b0),
                    ("cn_broad_start", cn_b0), ("escalation_step", step)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must be finite (no NaN or inf)")
    if (step < 0).any():
        raise ValueError(f"escalation_step must be >= 0, got {step.min()}")

    tol = bands.atol
    any_deal = lasting | pause | partial

    # Rule 1: a lasting deal with both broad layers at the floor.
    at_floor = (us_b <= bands.floor_band + tol) & (cn_b <= bands.floor_band + tol)
    comprehensive = lasting & at_floor

    # Rule 2: a deal in force with both broad layers in the truce band, or a run that
    # opened on broad layers at the floor and kept them there.
    us_band = np.maximum(bands.truce_share * us_b0, bands.floor_band)
    cn_band = np.maximum(bands.truce_share * cn_b0, bands.floor_band)
    in_band = (us_b <= us_band + tol) & (cn_b <= cn_band + tol)
    started_at_floor = ((us_b0 <= bands.floor_band + tol) & (cn_b0 <= bands.floor_band + tol))
    truce = (any_deal & in_band) | (started_at_floor & at_floor)

    # Rule 4: a rise held in every week of the sustain window.
    rise = (max(bands.rise_steps * float(escalation_step), bands.min_rise)
            if np.ndim(escalation_step) == 0 else np.maximum(bands.rise_steps * step,
                                                             bands.min_rise))
    # Rule 5: a side's effective tariff cut by cut_share (a side starting at 0 cannot cut).
    keep = 1.0 - bands.cut_share
    us0, cn0 = us_path[0], cn_path[0]
    cut = (((us0 > tol) & (us_path[-1] <= keep * us0 + tol))
           | ((cn0 > tol) & (cn_path[-1] <= keep * cn0 + tol)))
    tools_up = (_sustained_rise(cn_tools, bands.tool_rise, bands.sustain_weeks, tol)
                | _sustained_rise(us_tools, bands.tool_rise, bands.sustain_weeks, tol))
    escalated = _sustained_rise(us_path, rise, bands.sustain_weeks, tol) | (tools_up & ~cut)

    # Assign from the last rule to the first, so the first rule that holds wins.
    code = np.full(n, CODE["managed_stalemate"], dtype=np.int8)
    code[cut] = CODE["de_escalation"]
    code[escalated] = CODE["escalation"]
    code[any_deal] = CODE["partial_deal"]
    code[truce] = CODE["truce"]
    code[comprehensive] = CODE["comprehensive_deal"]
    return code
