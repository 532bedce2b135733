"""The coupling of the largest grouping factor (respondents) with the small terms (sites).

In the block Cholesky factorisation of ``Lambda' Z' Z Lambda + I`` (Bates et al. 2015,
section 3) the respondent block ``L11`` is block diagonal, so the Schur complement of the
small terms is ``M22 = Lambda2' A22 Lambda2 + I - W' W`` with ``W = L11^-1 Lambda1' A12
Lambda2``. A respondent meets few groups of a small term (one site when respondents are
nested in sites), so ``A12`` is a list of small dense blocks, one per (respondent, group)
pair that occurs in the data. ``W' W``, ``W' R_ZX`` and ``W' c_u`` are then sums over pairs
(and pairs of pairs that share a respondent) of products of ``k x k`` blocks, accumulated
into the dense site block with :func:`numpy.bincount`: one evaluation costs O(pairs), linear
in the number of respondents, with no sparse-matrix products.

The index arrays are built once per model by :func:`coupling_stats`; :func:`schur_products`
is called at every evaluation of the profiled deviance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaltools.analysis.lmm.model import RandomTerm

__all__ = ["PairTerm", "PairProduct", "Coupling", "coupling_stats", "schur_products"]


@dataclass
class PairTerm:
    """One small term's (respondent, group) pairs and the cross-products within each pair."""

    k: int
    n_groups: int
    offset: int            # first column of the term in the dense block
    respondent: np.ndarray  # (P,) respondent of the pair, sorted
    group: np.ndarray       # (P,) group of the small term
    cross: np.ndarray       # (P, k1, k): sum of z1_a z_b over the pair's observations
    rows: np.ndarray        # (P, k): dense-block row of each coefficient of the pair's group
    one_per_respondent: bool  # pair p is respondent p (respondents nested in the groups)


@dataclass
class PairProduct:
    """Pairs of two small terms (s, t) that share a respondent, and where their products go."""

    s: int
    t: int
    left: np.ndarray     # (PP,) pair of term s
    right: np.ndarray    # (PP,) pair of term t
    cells: np.ndarray    # (n_cells,) flat index row * q + col of the dense block touched
    inverse: np.ndarray  # (PP * k_s * k_t,) cell of each element of the pair products


@dataclass
class Coupling:
    """Everything about the small terms that does not depend on theta."""

    terms: list[PairTerm]
    products: list[PairProduct]
    q: int              # columns of the dense block
    A22: np.ndarray     # (q, q)
    A2Xy: np.ndarray    # (q, p + 1): Z2' [X y]


def _group_index(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct keys and the position of each key among them."""
    return np.unique(keys, return_inverse=True)


def coupling_stats(first: RandomTerm, rest: list[RandomTerm], Xy: np.ndarray) -> Coupling:
    """Pair blocks, pair-of-pair indices and the small terms' cross-products (once per model).

    ``first`` is the term with the most groups; ``Xy`` the design with the response as last
    column, as used in the fit (after the QR and OLS shift of
    :func:`evaltools.analysis.lmm.fit_lmm`).
    """
    k1, n1 = first.k, first.n_groups
    terms, offset = [], 0
    for term in rest:
        respondent_group, inverse = _group_index(first.codes * term.n_groups + term.codes)
        cross = np.empty((len(respondent_group), k1, term.k))
        for a in range(k1):
            for b in range(term.k):
                cross[:, a, b] = np.bincount(inverse, first.z[:, a] * term.z[:, b],
                                             minlength=len(respondent_group))
        group = respondent_group % term.n_groups
        rows = offset + group[:, None] * term.k + np.arange(term.k)
        respondent = respondent_group // term.n_groups
        terms.append(PairTerm(term.k, term.n_groups, offset, respondent, group, cross, rows,
                              len(respondent) == n1))
        offset += term.n_groups * term.k
    q = offset
    products = []
    for s, ts in enumerate(terms):
        for t, tt in enumerate(terms):
            count_t = np.bincount(tt.respondent, minlength=n1)
            start_t = np.cumsum(count_t) - count_t
            repeat = count_t[ts.respondent]
            left = np.repeat(np.arange(len(ts.respondent)), repeat)
            within = np.arange(len(left)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
            right = start_t[ts.respondent[left]] + within
            flat = ts.rows[left][:, :, None] * q + tt.rows[right][:, None, :]
            cells, inverse = _group_index(flat.ravel())
            products.append(PairProduct(s, t, left, right, cells, inverse))
    A22 = np.zeros((q, q))
    A2Xy = np.zeros((q, Xy.shape[1]))
    for ts, term_s in zip(terms, rest, strict=True):
        for b in range(ts.k):
            col = ts.offset + np.arange(ts.n_groups) * ts.k + b
            for j in range(Xy.shape[1]):
                A2Xy[col, j] = np.bincount(term_s.codes, term_s.z[:, b] * Xy[:, j],
                                           minlength=ts.n_groups)
            for tt, term_t in zip(terms, rest, strict=True):
                for c in range(tt.k):
                    row = ts.offset + term_s.codes * ts.k + b
                    col2 = tt.offset + term_t.codes * tt.k + c
                    cells, inverse = _group_index(row * q + col2)
                    A22.flat[cells] += np.bincount(inverse, term_s.z[:, b] * term_t.z[:, c],
                                                   minlength=len(cells))
    return Coupling(terms, products, q, A22, A2Xy)


def schur_products(coupling: Coupling, inv: np.ndarray, lambdas: list[np.ndarray],
                   right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``W' W`` (q, q) and ``W' R`` (q, m) for ``W = L11^-1 Lambda1' A12 Lambda2``.

    Parameters
    ----------
    inv : array (n1, k1, k1)
        ``L11_i^-1 Lambda1'`` per respondent.
    lambdas : list of arrays (k, k)
        Relative covariance factor of each small term.
    right : array (n1, k1, m)
        Per respondent, the rows of ``R`` (e.g. ``R_ZX1`` with ``c_u1`` as a last column).
    """
    q, m = coupling.q, right.shape[2]
    if inv.shape[1] == 1 and all(term.k == 1 for term in coupling.terms):
        return _scalar_products(coupling, inv[:, 0, 0], [lam[0, 0] for lam in lambdas],
                                right[:, 0, :])
    W = [np.einsum("pab,pbc,cd->pad", _at(inv, term), term.cross, lam)
         for term, lam in zip(coupling.terms, lambdas, strict=True)]
    WtW = np.zeros((q, q))
    for prod in coupling.products:
        blocks = np.einsum("pab,pac->pbc", W[prod.s][prod.left], W[prod.t][prod.right])
        WtW.flat[prod.cells] += np.bincount(prod.inverse, blocks.ravel(),
                                            minlength=len(prod.cells))
    WtR = np.zeros((q, m))
    for term, w in zip(coupling.terms, W, strict=True):
        blocks = np.einsum("pab,paj->pbj", w, _at(right, term))
        rows = term.rows.ravel()
        for j in range(m):
            WtR[:, j] += np.bincount(rows, blocks[:, :, j].ravel(), minlength=q)
    return WtW, WtR


def _at(per_respondent: np.ndarray, term: PairTerm) -> np.ndarray:
    """Rows of a per-respondent array for each pair (no copy when pairs are respondents)."""
    return per_respondent if term.one_per_respondent else per_respondent[term.respondent]


def _scalar_products(coupling: Coupling, inv: np.ndarray, lambdas: list[float],
                     right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`schur_products` for random intercepts only (every block 1 x 1): plain vectors."""
    q, m = coupling.q, right.shape[1]
    W = [_at(inv, term) * term.cross[:, 0, 0] * lam
         for term, lam in zip(coupling.terms, lambdas, strict=True)]
    WtW = np.zeros((q, q))
    for prod in coupling.products:
        if prod.s == prod.t and coupling.terms[prod.s].one_per_respondent:
            w, rows = W[prod.s], coupling.terms[prod.s].rows[:, 0]
            WtW[np.arange(q), np.arange(q)] += np.bincount(rows, w * w, minlength=q)
            continue
        WtW.flat[prod.cells] += np.bincount(prod.inverse, W[prod.s][prod.left]
                                            * W[prod.t][prod.right], minlength=len(prod.cells))
    WtR = np.zeros((q, m))
    for term, w in zip(coupling.terms, W, strict=True):
        rows = term.rows[:, 0]
        weighted = _at(right, term) * w[:, None]
        for j in range(m):
            WtR[:, j] += np.bincount(rows, weighted[:, j], minlength=q)
    return WtW, WtR
