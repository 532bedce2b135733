"""The data of a linear mixed model: response, fixed-effects design and random-effects terms.

A model is ``y = X beta + sum_j Z_j b_j + e`` with one term ``j`` per grouping factor (lme4's
``(1 | g)`` or ``(1 + t | g)``): the random effects of a group are an intercept and optionally
one slope, correlated, with covariance ``sigma^2 Lambda_j Lambda_j'``. A nested factor is a
grouping column built from both levels (site, then respondent within site), as lme4's
``(1 | site/respondent)`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaltools.core.errors import EvaltoolsError

__all__ = ["LmmError", "RandomEffect", "RandomTerm", "ModelData", "build_model"]


class LmmError(EvaltoolsError):
    """A linear mixed model cannot be built or fitted as asked."""


@dataclass(frozen=True)
class RandomEffect:
    """A random-effects term: an intercept per group, optionally a correlated slope.

    Parameters
    ----------
    group : str or tuple of str
        Grouping column; a tuple names nested columns (outer first) whose combination is the
        group, e.g. ``("site", "respondent_id")`` for respondents within sites.
    slope : str, optional
        Numeric column with a random slope per group, correlated with the intercept
        (lme4 ``(1 + slope | group)``).
    """

    group: str | tuple[str, ...]
    slope: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.group,) if isinstance(self.group, str) else tuple(self.group)

    @property
    def label(self) -> str:
        return ":".join(self.columns)


@dataclass
class RandomTerm:
    """One term as arrays: group code per observation and the term's model columns."""

    label: str
    codes: np.ndarray
    n_groups: int
    z: np.ndarray
    coef_names: list[str]

    @property
    def k(self) -> int:
        return self.z.shape[1]

    @property
    def n_theta(self) -> int:
        return self.k * (self.k + 1) // 2


@dataclass
class ModelData:
    """Response, fixed-effects design and random terms, rows with missing values removed."""

    y: np.ndarray
    X: np.ndarray
    x_names: list[str]
    terms: list[RandomTerm]
    n_dropped: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def n_obs(self) -> int:
        return len(self.y)


def build_model(data: pd.DataFrame, response: str, fixed: Sequence[str],
                random: Sequence[RandomEffect] = (), *, intercept: bool = True) -> ModelData:
    """Arrays for :func:`evaltools.analysis.lmm.fit_lmm` from a long data frame.

    Parameters
    ----------
    data : DataFrame
        One row per observation. It is not modified.
    response : str
        Numeric outcome column.
    fixed : list of str
        Numeric columns of the fixed-effects design (build dummies and interactions before).
    random : list of RandomEffect
    intercept : bool
        Add a fixed intercept (named ``(Intercept)``, as in R).

    Returns
    -------
    ModelData
        Terms ordered as lme4 orders them: by decreasing number of groups. A term in which
        every group has a single observation is dropped with a note: its variance cannot be
        told apart from the residual variance (lme4 refuses such a model).

    Raises
    ------
    LmmError
        Unknown or non-numeric columns, no complete rows, or a rank-deficient design.
    """
    needed = [response, *fixed] + [c for r in random for c in r.columns]
    needed += [r.slope for r in random if r.slope]
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise LmmError(f"columns not in the data: {', '.join(missing)}; the data has "
                       + ", ".join(map(str, data.columns)))
    numeric = [response, *fixed] + [r.slope for r in random if r.slope]
    bad = [c for c in dict.fromkeys(numeric) if not pd.api.types.is_numeric_dtype(data[c])]
    if bad:
        raise LmmError(f"columns must be numeric for the model: {', '.join(bad)} "
                       "(code factors as 0/1 dummy columns first)")
    complete = data[list(dict.fromkeys(needed))].notna().all(axis=1).to_numpy()
    n_dropped = int((~complete).sum())
    if not complete.any():
        raise LmmError(f"no observation has every model column ({', '.join(needed)}) present")
    rows = data.loc[complete]
    y = rows[response].to_numpy(dtype=float)
    cols = [np.ones(len(rows))] if intercept else []
    cols += [rows[c].to_numpy(dtype=float) for c in fixed]
    names = (["(Intercept)"] if intercept else []) + list(fixed)
    X = np.column_stack(cols) if cols else np.empty((len(rows), 0))
    if X.shape[1]:
        rank = np.linalg.matrix_rank(X)
        if rank < X.shape[1]:
            raise LmmError(f"the fixed-effects design is rank deficient (rank {rank} for "
                           f"{X.shape[1]} columns: {', '.join(names)}); drop a redundant "
                           "column or a level that does not occur")
    terms, notes = [], []
    for effect in random:
        codes, n_groups = _group_codes([rows[c] for c in effect.columns])
        z = [np.ones(len(rows))]
        coef_names = ["(Intercept)"]
        if effect.slope:
            z.append(rows[effect.slope].to_numpy(dtype=float))
            coef_names.append(effect.slope)
        if n_groups == len(rows):
            notes.append(f"{effect.label}: every group has one observation, so its variance "
                         "is not identifiable apart from the residual; the term is dropped")
            continue
        terms.append(RandomTerm(effect.label, codes, n_groups, np.column_stack(z), coef_names))
    terms.sort(key=lambda t: -t.n_groups)
    return ModelData(y, X, names, terms, n_dropped, notes)


def _group_codes(keys: list[pd.Series]) -> tuple[np.ndarray, int]:
    """Group number per row for one or more (nested) key columns, in sorted key order.

    Each column is factorised alone and the codes combined as integers: the same numbering as
    factorising the tuples (lexicographic order), without hashing tuples, which is some fifty
    times slower at a million respondents.
    """
    codes = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        inner, uniques = pd.factorize(key, sort=True)
        codes = codes * len(uniques) + inner
    if len(keys) == 1:
        return codes, int(codes.max()) + 1 if len(codes) else 0
    distinct, codes = np.unique(codes, return_inverse=True)
    return codes.astype(np.int64), len(distinct)
