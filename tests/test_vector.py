"""The array helpers behind the decision core give numpy's results bit for bit."""

import dataclasses
import itertools

import numpy as np
from scipy.special import ndtr

from sim.model.decision import TERM_NAMES, Terms, logit_weights
from sim.model.vector import Mask, argmax0, by_value, cumulative_rows, gather, pick, present, select

N = 5000  # above ``vector.SMALL``: the branch-free paths


def awkward(rng, shape, dtype=np.float32):
    x = rng.standard_normal(shape).astype(dtype)
    for step, value in ((7, np.nan), (11, np.inf), (13, -np.inf), (17, -0.0), (19, 0.0)):
        x.flat[::step] = value
    return x


def same_bits(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.view(np.uint8),
                                                                        b.view(np.uint8))


def test_select_is_where_bit_for_bit():
    rng = np.random.default_rng(0)
    operands = [lambda: awkward(rng, (N,)), lambda: awkward(rng, (3, N)),
                lambda: awkward(rng, (1, N)), lambda: awkward(rng, (N,), np.float64),
                lambda: awkward(rng, (3, 1)), lambda: 0.0, lambda: -0.0, lambda: -np.inf,
                lambda: 0.1, lambda: np.float32(0.0), lambda: 1]
    conds = [lambda: rng.random(N) > 0.5, lambda: rng.random((3, N)) > 0.5,
             lambda: (rng.random(N) > 0.5)[None, :],
             lambda: np.broadcast_to(rng.random(N) > 0.5, (3, N)),
             lambda: rng.random(10) > 0.5]
    for c, a, b in itertools.product(conds, operands, operands):
        cond, x, y = c(), a(), b()
        try:
            want = np.where(cond, x, y)
        except ValueError:
            continue
        for how in (cond, Mask(cond), Mask(cond, np.float64)):
            assert same_bits(select(how, x, y), want)


def test_gather_argmax_cumsum_present():
    rng = np.random.default_rng(1)
    for t in range(50):
        k = rng.integers(-1, 12, N).astype(np.int16)
        k[k == t % 12] = -1
        js = [j for j in present(k) if j >= 0]
        assert present(k) == np.unique(k).tolist()
        values = {j: awkward(rng, (N,)) for j in js}
        want = np.zeros(N, dtype=np.float32)
        for j in js:
            want = np.where(k == j, values[j], want)
        assert same_bits(gather(k, values, N), want)
        a = awkward(rng, (12, N))
        a[:, :50] = -np.inf
        a[:, 50:100] = np.round(a[:, 50:100])
        if t % 2:
            a = np.nan_to_num(a, nan=-np.inf)
        assert np.array_equal(argmax0(a), a.argmax(axis=0))
        w = np.where(rng.random((12, N)) > 0.3, rng.random((12, N)), 0.0).astype(np.float32)
        rows = cumulative_rows(w)
        assert all(same_bits(r, c) for r, c in zip(rows, np.cumsum(w, axis=0), strict=True))


def test_argmax_of_many_options_and_pick():
    rng = np.random.default_rng(4)
    many = awkward(rng, (200, N))  # more options than the byte-wide path holds
    many = np.nan_to_num(many, nan=-np.inf)
    assert np.array_equal(argmax0(many), many.argmax(axis=0))
    for rows in (1, 3, 13):
        a = awkward(rng, (rows, N))
        index = rng.integers(0, rows, N).astype(np.int8)
        want = np.take_along_axis(a, index[None, :].astype(np.intp), 0)[0]
        assert same_bits(pick(a, index), want)
        assert same_bits(pick(np.asfortranarray(a), index), want)


def masked_logit_weights(eu, lam):
    """The logit weights with every closed move masked, as written before the fast path."""
    finite = np.isfinite(eu)
    top = np.where(finite, eu, -np.inf).max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.where(finite, eu, 0.0).astype(eu.dtype)
        z = np.minimum(lam * (z - top), 0.0).astype(eu.dtype)
        return np.where(finite, np.exp(z), 0.0).astype(eu.dtype)


def test_logit_weights_with_and_without_masks():
    rng = np.random.default_rng(5)
    eu = rng.standard_normal((3, 10, N)).astype(np.float32) * 4
    eu[:, 2:5][rng.random((3, 3, N)) > 0.4] = -np.inf  # moves closed in some runs
    eu[:, 7] = -np.inf  # a move closed everywhere
    closed = eu.copy()
    closed[:, :, :20] = -np.inf  # runs with no open move: the masked path is taken
    lams = (np.float32(3.0), 1e4, (rng.random(N) * 5 + 0.1).astype(np.float32), 0.0,
            np.where(rng.random(N) > 0.5, 2.0, 0.0).astype(np.float32))
    for x, lam in itertools.product((eu, closed), lams):
        assert same_bits(logit_weights(x, lam, axis=1), masked_logit_weights(x, lam))


def test_by_value_is_the_function_bit_for_bit():
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        few = awkward(rng, (N,)).astype(dtype)[rng.integers(0, 40, N)]
        for x in (few, awkward(rng, (N,)).astype(dtype), few.reshape(-1, 4), few[:100]):
            assert same_bits(by_value(ndtr, x), ndtr(x))
            assert same_bits(by_value(np.exp, x), np.exp(x))


def test_terms_total_is_the_sum_in_order():
    rng = np.random.default_rng(2)
    choices = [lambda: 0.0, lambda: -0.0, lambda: 1.5, lambda: awkward(rng, (N,)),
               lambda: np.zeros(N, dtype=np.float32) * -1.0]
    for _ in range(500):
        kw = {name: choices[rng.integers(len(choices))]() for name in TERM_NAMES}
        want = sum(kw[name] for name in TERM_NAMES)
        got = Terms(**kw).total
        if isinstance(want, np.ndarray):
            assert same_bits(got, want)
        else:
            assert got == want


def test_term_names_are_the_fields_in_order():
    # ``Terms.plus`` and ``Terms.blend`` walk TERM_NAMES instead of the dataclass's fields
    assert tuple(f.name for f in dataclasses.fields(Terms)) == TERM_NAMES
    rng = np.random.default_rng(6)
    yes = Terms(**{name: awkward(rng, (N,)) for name in TERM_NAMES})
    no = Terms(pain=awkward(rng, (N,)), action=0.5)
    q = rng.random(N).astype(np.float32)
    with np.errstate(invalid="ignore"):  # inf - inf in the awkward entries
        mixed = Terms.blend(q, yes, no)
        for name in TERM_NAMES:
            a, b = getattr(yes, name), getattr(no, name)
            assert same_bits(getattr(mixed, name), b + q * (a - b))
        more = yes.plus(face=1.0, risk=no.pain)
        assert same_bits(more.face, yes.face + 1.0)
        assert same_bits(more.risk, yes.risk + no.pain)
    assert same_bits(more.pain, yes.pain)
