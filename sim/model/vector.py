"""Array helpers for the per-run state.

``select`` is ``numpy.where`` for float arrays, bit for bit, without a branch per element:
numpy's ``where`` branches on every entry of the condition, and when runs differ (which
package each run demands, which moves are open) the mispredictions make it ten times
slower than arithmetic on the same arrays.  Choosing the bits of one operand or the other
by a mask gives the same result (NaNs, infinities and signed zeros included).
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray

SMALL = 2048
"""Below this many entries ``numpy.where`` is as fast: its fixed cost is lower."""

_BITS = {4: np.uint32, 8: np.uint64}


def select(cond: Array, a: Array | float, b: Array | float) -> Array:
    """``numpy.where(cond, a, b)`` for a boolean ``cond`` and float operands, the same
    array bit for bit (same values, dtype and shape), computed without branching."""
    cond = np.asarray(cond)
    dtype = np.result_type(a, b)
    if (cond.dtype != np.bool_ or dtype.kind != "f" or dtype.itemsize not in _BITS
            or max(cond.size, np.size(a), np.size(b)) < SMALL):
        return np.where(cond, a, b)
    bits = _BITS[dtype.itemsize]
    a_bits = np.asarray(a, dtype=dtype).view(bits)
    b_bits = np.asarray(b, dtype=dtype).view(bits)
    mask = cond.astype(bits)
    np.negative(mask, out=mask)  # all ones where cond holds, zeros elsewhere
    out = (a_bits ^ b_bits) & mask
    out ^= b_bits
    return out.view(dtype)


def present(k: Array) -> list[int]:
    """The distinct values of ``k``, an array of small integers from -1 up (a package
    index per run, -1 for none), in increasing order: ``numpy.unique`` by counting."""
    k = np.asarray(k)
    if k.size == 0:
        return []
    counts = np.bincount(k.ravel().astype(np.intp) + 1)
    return [int(j) - 1 for j in np.flatnonzero(counts)]


def gather(k: Array, values: dict[int, Array], n: int) -> Array:
    """Per run, the entry of ``values[k]`` (an array per package ``k`` present in ``k``,
    one entry per run) and 0 where ``k`` holds no such package."""
    if len(values) == 1:
        (j, only), = values.items()
        if bool((k == j).all()):
            return only
    out: Array | None = None
    for j, value in values.items():
        out = select(k == j, value, np.zeros(n, dtype=value.dtype) if out is None else out)
    return np.zeros(n, dtype=np.float32) if out is None else out


__all__ = ["gather", "present", "select"]
