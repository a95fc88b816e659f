"""Array helpers for the per-run state.

``select`` is ``numpy.where`` for float arrays, bit for bit, without a branch per element:
numpy's ``where`` branches on every entry of the condition, and when runs differ (which
package each run demands, which moves are open) the mispredictions make it ten times
slower than arithmetic on the same arrays.  Choosing the bits of one operand or the other
by a mask gives the same result (NaNs, infinities and signed zeros included).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from pandas._libs import hashtable

Array = np.ndarray

SMALL = 2048
"""Below this many entries ``numpy.where`` is as fast: its fixed cost is lower."""

SAMPLE = 256
"""Entries ``by_value`` looks at to judge whether ``x`` takes few values."""

_BITS = {4: np.uint32, 8: np.uint64}
_TABLES = {4: hashtable.UInt32HashTable, 8: hashtable.UInt64HashTable}


class Mask:
    """A boolean condition made ready for ``select`` on float arrays of one dtype: the
    mask's bits (all ones where it holds), built once for a condition used many times."""

    __slots__ = ("bits", "cond", "dtype")

    def __init__(self, cond: Array, dtype: np.dtype | type = np.float32) -> None:
        self.cond = cond
        self.dtype = np.dtype(dtype)
        self.bits: Array | None = None
        if cond.size >= SMALL and self.dtype.kind == "f" and self.dtype.itemsize in _BITS:
            self.bits = cond.astype(_BITS[self.dtype.itemsize])
            np.negative(self.bits, out=self.bits)


def select(cond: Array | Mask, a: Array | float, b: Array | float) -> Array:
    """``numpy.where(cond, a, b)`` for a boolean ``cond`` (or a ``Mask``) and float
    operands, the same array bit for bit (same values, dtype and shape), computed without
    branching."""
    if type(cond) is Mask:
        dtype = np.result_type(a, b)
        if cond.bits is None or dtype != cond.dtype:
            return select(cond.cond, a, b)
        mask = cond.bits
    else:
        if not isinstance(cond, np.ndarray) or cond.size < SMALL or cond.dtype != np.bool_:
            return np.where(cond, a, b)  # small arrays first: the check costs least
        dtype = np.result_type(a, b)
        if dtype.kind != "f" or dtype.itemsize not in _BITS:
            return np.where(cond, a, b)
        mask = cond.astype(_BITS[dtype.itemsize])
        if type(a) is float and a == 0.0 and math.copysign(1.0, a) > 0:
            mask -= 1  # a is +0.0: keep b where cond fails (all ones there, zeros elsewhere)
            return (np.asarray(b, dtype=dtype).view(mask.dtype) & mask).view(dtype)
        np.negative(mask, out=mask)  # all ones where cond holds, zeros elsewhere
    bits = mask.dtype
    a_bits = np.asarray(a, dtype=dtype).view(bits)
    if type(b) is float and b == 0.0 and math.copysign(1.0, b) > 0:  # keep a where cond holds
        return np.bitwise_and(a_bits, mask).view(dtype)
    b_bits = np.asarray(b, dtype=dtype).view(bits)
    out = np.bitwise_xor(a_bits, b_bits)
    if out.shape == mask.shape or out.shape[-1:] == mask.shape:
        out &= mask
    else:  # the mask is wider than the operands
        out = out & mask
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
    if not values:
        return np.zeros(n, dtype=np.float32)
    dtype = np.result_type(*values.values())
    rows = np.zeros((len(values) + 1, n), dtype=dtype)  # the last row: no package
    slot = np.full(max(values) + 2, len(values), dtype=np.intp)
    for i, (j, value) in enumerate(values.items()):
        rows[i] = value
        slot[j + 1] = i
    return pick(rows, slot[k.astype(np.intp) + 1])


def argmax0(a: Array) -> Array:
    """``a.argmax(axis=0)`` for a float array (options x runs): the first option with the
    largest value in each run.  numpy's arg-reduction across rows is slow; the maximum is
    fast, and the first row that attains it is found row by row from the last, in bytes
    where the options are few (a quarter of the memory traffic of ``intp``)."""
    top = a.max(axis=0)
    if a.shape[0] < 2 or a.dtype.kind != "f" or bool(np.isnan(top).any()):
        return a.argmax(axis=0)
    small = a.shape[0] <= np.iinfo(np.int8).max
    kind = np.int8 if small else np.intp
    out = np.zeros(top.shape, dtype=kind)
    step = np.empty(top.shape, dtype=kind)
    for row in range(a.shape[0] - 1, -1, -1):
        hit = np.equal(a[row], top)
        hit = hit.view(np.int8) if small else hit.astype(np.intp)
        np.negative(hit, out=hit)  # all ones where the row attains the maximum
        np.bitwise_xor(out, kind(row), out=step)
        step &= hit
        out ^= step
    return out.astype(np.intp)


def pick(a: Array, index: Array) -> Array:
    """``a[index[r], r]`` for every column ``r`` of a 2-D array (options x runs): the same
    entries as ``numpy.take_along_axis(a, index[None, :], 0)[0]``, read by flat index."""
    n = a.shape[1]
    flat = index.astype(np.intp)
    flat *= n
    flat += _columns(n)
    return np.ascontiguousarray(a).reshape(-1).take(flat)


@lru_cache(maxsize=8)
def _columns(n: int) -> Array:
    """``arange(n)``, made once per batch size and read-only."""
    out = np.arange(n, dtype=np.intp)
    out.setflags(write=False)
    return out


def cumulative_rows(a: Array) -> list[Array]:
    """``numpy.cumsum(a, axis=0)``, row by row (the same sums in the same order), for
    finite rows such as logit weights (a NaN made of inf - inf may differ in its sign
    bit)."""
    out = [a[0].copy()]
    for row in a[1:]:
        out.append(out[-1] + row)
    return out


def by_value(f: np.ufunc, x: Array) -> Array:
    """``f(x)`` for an element-wise ``f`` that is costly (``scipy.special.ndtr``: a
    dozen nanoseconds an entry), evaluated once per distinct value of ``x`` (told apart by
    their bits, so -0.0 and NaN payloads keep their own results), the same array bit for
    bit.  For arrays that take few values across runs - a function of each run's posture -
    where hashing the values is several times cheaper than ``f`` on every entry; where a
    sample of the entries is mostly distinct (parameters drawn run by run), ``f`` is
    applied to every entry at once, which is then cheaper."""
    x = np.ascontiguousarray(x)
    if x.size < SMALL or x.dtype.kind != "f" or x.dtype.itemsize not in _TABLES:
        return f(x)
    bits = x.reshape(-1).view(_BITS[x.dtype.itemsize])
    sample = bits[::max(1, bits.size // SAMPLE)]
    if len(np.unique(sample)) > len(sample) // 2:
        return f(x)
    values, codes = _TABLES[x.dtype.itemsize](x.size).factorize(bits)
    return f(values.view(x.dtype))[codes].reshape(x.shape)


__all__ = ["Mask", "argmax0", "by_value", "cumulative_rows", "gather", "pick", "present",
           "select"]
