"""Progress for long jobs: a bar on a terminal, plain lines elsewhere.

A job whose output goes to a pipe, a log or CI would otherwise print nothing for minutes;
there it prints a line (done, rate, time left) at most every ``ProgressLines.every``
seconds, and one at the end.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def progress_bar(total: int, enabled: bool, desc: str, unit: str):
    """A tqdm bar on a terminal; elsewhere ``ProgressLines``; None when not ``enabled``.
    Either has ``update(n)`` and ``close()``."""
    if not enabled:
        return None
    if not sys.stderr.isatty():
        return ProgressLines(total, desc=desc, unit=unit)
    from tqdm import tqdm

    return tqdm(total=total, unit=unit.rstrip("s"), unit_scale=True, desc=desc,
                smoothing=0.1, leave=False, mininterval=0.5)


class ProgressLines:
    """Progress as plain lines (done, rate, time left) for output that is not a terminal,
    at most one line per ``every`` seconds, and one at the end if any came before."""

    every = 30.0

    def __init__(self, total: int, clock: Callable[[], float] = time.monotonic,
                 write: Callable[[str], None] | None = None, desc: str = "sweep",
                 unit: str = "runs") -> None:
        self.total, self.done, self.clock = total, 0, clock
        self.desc, self.unit = desc, unit
        self.write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self.start = self.last = clock()

    def update(self, n: float = 1) -> None:
        self.done += n
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            self.write(self.line(now))

    def _head(self) -> str:
        share = self.done / self.total if self.total else 1.0
        return f"{self.desc}: {self.done:,.0f} of {self.total:,} {self.unit} ({share:.0%})"

    def line(self, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        eta = f"{left:,.0f} s left" if left != float("inf") else "time left unknown"
        return f"{self._head()}, {rate:,.0f} {self.unit}/s, {eta}"

    def close(self) -> None:
        """The closing line, for a job long enough to have printed one before (a short
        job stays quiet)."""
        if self.done and self.last > self.start:
            self.write(f"{self._head()} in {self.clock() - self.start:,.1f} s")
