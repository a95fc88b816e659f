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
    if b_bits.ndim == 0 and not b_bits:  # b is +0.0: keep a where cond holds
        np.negative(mask, out=mask)  # all ones where cond holds, zeros elsewhere
        return (a_bits & mask).view(dtype)
    if a_bits.ndim == 0 and not a_bits:  # a is +0.0: keep b where cond fails
        mask -= 1  # all ones where cond fails, zeros elsewhere
        return (b_bits & mask).view(dtype)
    np.negative(mask, out=mask)
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


def argmax0(a: Array) -> Array:
    """``a.argmax(axis=0)`` for a float array (options x runs): the first option with the
    largest value in each run.  numpy's arg-reduction across rows is slow; the maximum is
    fast, and the first row that attains it is found row by row from the last."""
    top = a.max(axis=0)
    if a.shape[0] < 2 or a.dtype.kind != "f" or bool(np.isnan(top).any()):
        return a.argmax(axis=0)
    out = np.zeros(top.shape, dtype=np.intp)
    for row in range(a.shape[0] - 1, -1, -1):
        hit = (a[row] == top).astype(np.intp)
        np.negative(hit, out=hit)
        out ^= (out ^ row) & hit
    return out


def cumulative_rows(a: Array) -> list[Array]:
    """``numpy.cumsum(a, axis=0)``, row by row (the same sums in the same order)."""
    out = [a[0].copy()]
    for row in a[1:]:
        out.append(out[-1] + row)
    return out


__all__ = ["argmax0", "cumulative_rows", "gather", "present", "select"]
