"""Figures of a history matching (``sim.experiments.calibrate``): implausibility against the
parameters it depends on most, and the marginals of the non-implausible set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.experiments.calibrate import CUTOFF, Calibration

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plots(result: Calibration, out: Path) -> list[Path]:
    """Write ``figures(result)`` into ``out`` as PNG files; return their paths."""
    written = []
    for name, fig in figures(result).items():
        path = out / f"{name}.png"
        fig.savefig(path)
        written.append(path)
    return written


def figures(result: Calibration) -> dict[str, Figure]:
    """Implausibility against the parameters that matter most (wave 0), and the marginals
    of the non-implausible set (when it holds two points or more), by file name."""
    import matplotlib.pyplot as plt

    import sim.reports.plots  # noqa: F401  (chooses the backend)

    first = result.waves[0]
    names = [n for n in result.prior if first[n].nunique() > 2]
    corr = {n: abs(pd.Series(first[n]).corr(first["I_max"], method="spearman")) for n in names}
    top = sorted(corr, key=lambda n: -np.nan_to_num(corr[n]))[:9]
    written: dict[str, Figure] = {}
    fig, axes = plt.subplots(3, 3, figsize=(9, 7.5), dpi=120, sharey=True)
    for ax, name in zip(axes.ravel(), top, strict=False):
        ax.scatter(first[name], first["I_max"], s=6, alpha=0.5, color="#4c72b0")
        ax.axhline(CUTOFF, color="#c44e52", lw=1)
        ax.set_xlabel(name, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("largest implausibility", fontsize=8)
    fig.suptitle("Wave 0: implausibility against the nine parameters it depends on most "
                 f"(red: cutoff {CUTOFF:g})", fontsize=10)
    fig.tight_layout()
    plt.close(fig)  # out of pyplot's hands: shown only where it is returned
    written["implausibility"] = fig
    final = result.nonimplausible
    if len(final) >= 2:
        # the nine continuous parameters the set constrains most: smallest spread against
        # a uniform spread over the prior range (a factor added at listed values has no
        # range to spread over, however many values it lists)
        spread = {n: final[n].std() / ((result.prior[n]["range"][1]
                                        - result.prior[n]["range"][0]) / np.sqrt(12))
                  for n in names if "range" in result.prior[n]}
        narrow = sorted(spread, key=lambda n: spread[n])[:9]
        fig, axes = plt.subplots(3, 3, figsize=(9, 7.5), dpi=120)
        for ax, name in zip(axes.ravel(), narrow, strict=False):
            lo, hi = result.prior[name]["range"]
            ax.hist(final[name], bins=12, range=(lo, hi), color="#55a868")
            ax.set_xlabel(name, fontsize=8)
            ax.tick_params(labelsize=7)
        fig.suptitle(f"Non-implausible set ({len(final)} points): marginals of the nine "
                     "parameters it constrains most, over the prior range", fontsize=10)
        fig.tight_layout()
        plt.close(fig)
        written["marginals"] = fig
    return written
