"""A planning question: the design, the effect hoped for, the power wanted, the sizes to weigh.

Read from the ``planning:`` section of ``study.yml`` (or built from command-line flags), and
answered by :func:`answer_question` with the tables a planning report shows.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from evaltools.analysis.planning.analytic import (
    plan_mdes,
    plan_power,
    plan_sample_size,
)
from evaltools.analysis.planning.design import PlanDesign, PlanningError

__all__ = ["PlanningQuestion", "answer_question", "CURVE_COLUMNS", "CHOICE_COLUMNS"]

#: Columns of the power curve.
CURVE_COLUMNS = ["design", "size", "n_enrolled", "clusters", "effect", "power"]
#: Columns of the MDES per design choice.
CHOICE_COLUMNS = ["choice", "design", "n_enrolled", "clusters", "cluster_size", "icc",
                  "r_pre_post", "retention", "df", "mdes", "power"]

_QUESTION_KEYS = {"effect", "power", "n", "clusters", "sizes", "simulate", "scale"}


@dataclass(frozen=True)
class PlanningQuestion:
    """What to plan.

    Attributes
    ----------
    design : PlanDesign
    effect : float
        The effect the intervention is hoped to have, in SD units.
    power : float
        The power wanted.
    n : int, optional
        Persons the study can enrol (designs without clusters).
    clusters : int, optional
        Clusters the study can enrol (cluster designs).
    sizes : tuple of int
        Sample sizes (persons, or clusters) for the power curve; default around the planned
        or the required size.
    simulate : dict
        ``n_sims`` (0: no simulation), ``seed``, ``estimator``, ``skew``, ``dropout_slope``,
        ``trend``, ``cluster_r``, ``generator`` (``study`` or ``scores``) and ``instrument``.
    scale : str, optional
        The scale whose earlier data feed the assumptions (``evaltools plan --from``).
    """

    design: PlanDesign
    effect: float = 0.2
    power: float = 0.8
    n: int | None = None
    clusters: int | None = None
    sizes: tuple[int, ...] = ()
    simulate: dict = field(default_factory=dict)
    scale: str | None = None

    def __post_init__(self) -> None:
        if not 0 < self.effect < 5:
            raise PlanningError(f"planning effect={self.effect!r}: expected an effect size "
                                "above 0 (in SD units)")
        if not 0 < self.power < 1:
            raise PlanningError(f"planning power={self.power!r}: expected a probability")
        unknown = sorted(set(self.simulate) - {"n_sims", "seed", "estimator", "skew",
                                                "dropout_slope", "trend", "cluster_r",
                                                "generator", "instrument"})
        if unknown:
            raise PlanningError(f"planning simulate: unknown keys {unknown}")

    @classmethod
    def from_mapping(cls, data: dict) -> PlanningQuestion:
        """From a ``planning:`` section: the question's keys, the rest is the design
        (``design:`` names the kind)."""
        data = dict(data or {})
        question = {k: data.pop(k) for k in list(data) if k in _QUESTION_KEYS}
        if "design" in data:
            data["kind"] = data.pop("design")
        if "sizes" in question:
            question["sizes"] = tuple(int(s) for s in question["sizes"])
        return cls(design=PlanDesign.from_dict(data), **question)

    def to_json(self) -> str:
        """The question as JSON (the planning report's parameter)."""
        out = {k: v for k, v in asdict(self).items() if k != "design"}
        out["sizes"] = list(self.sizes)
        design = self.design.to_dict()
        design["design"] = design.pop("kind")
        return json.dumps({**design, **out})

    @classmethod
    def from_json(cls, text: str) -> PlanningQuestion:
        return cls.from_mapping(json.loads(text))

    def size_kwargs(self, size: float | None = None) -> dict:
        key = "clusters" if self.design.clustered else "n"
        value = size if size is not None else (self.clusters if self.design.clustered
                                               else self.n)
        return {key: value} if value is not None else {}


def answer_question(q: PlanningQuestion) -> dict[str, pd.DataFrame]:
    """The tables of a planning report.

    Returns
    -------
    dict of DataFrame
        ``required``: :func:`plan_sample_size` for the effect and power; ``planned``:
        :func:`plan_power` and :func:`plan_mdes` at the planned size (empty without one);
        ``curve``: power over ``sizes`` (:data:`CURVE_COLUMNS`); ``choices``: the MDES at the
        planned (or required) number of persons for other design choices
        (:data:`CHOICE_COLUMNS`).
    """
    required = plan_sample_size(q.design, effect=q.effect, power=q.power)
    size_col = "clusters" if q.design.clustered else "n_enrolled"
    needed = float(required[size_col].iloc[0])
    planned = q.size_kwargs()
    if planned:
        power = plan_power(q.design, effect=q.effect, **planned)
        mdes = plan_mdes(q.design, power=q.power, **planned)
        planned_table = pd.concat([power, mdes], ignore_index=True)
    else:
        planned_table = required.iloc[0:0]
    centre = next(iter(planned.values())) if planned else needed
    sizes = q.sizes or _default_sizes(centre, q.design.clustered)
    curve = []
    for size in sizes:
        try:
            row = plan_power(q.design, effect=q.effect, **q.size_kwargs(size)).iloc[0]
        except PlanningError:
            continue
        curve.append({"design": q.design.kind, "size": size, "n_enrolled": row["n_enrolled"],
                      "clusters": row["clusters"], "effect": q.effect, "power": row["power"]})
    persons = (centre * q.design.cluster_size) if q.design.clustered else centre
    return {"required": required, "planned": planned_table,
            "curve": pd.DataFrame(curve, columns=CURVE_COLUMNS),
            "choices": _choices(q, persons)}


def _default_sizes(centre: float, clustered: bool) -> tuple[int, ...]:
    low = 4 if clustered else 10
    grid = np.unique(np.round(np.geomspace(max(low, centre / 4), max(centre * 2.5, low * 2),
                                           15)).astype(int))
    return tuple(int(s) for s in grid)


def _choices(q: PlanningQuestion, persons: float) -> pd.DataFrame:
    """MDES of alternative designs with the same number of persons enrolled."""
    d = q.design
    r = d.r_pre_post
    options = [("planned", d)]
    options += [(f"design={kind}", PlanDesign(kind=kind, alpha=d.alpha, sides=d.sides,
                                              share_treated=d.share_treated,
                                              r_pre_post=r, attrition=d.attrition,
                                              n_outcomes=d.n_outcomes, adjust=d.adjust))
                for kind in ("pre_post", "ancova", "diff_in_diff") if kind != d.kind]
    options.append(("no_attrition", d.with_(attrition=())))
    if d.clustered:
        for icc in (0.01, 0.05, 0.1, 0.2):
            if icc != d.icc:
                options.append((f"icc={icc}", d.with_(icc=icc)))
        for m in (max(2, d.cluster_size // 2), d.cluster_size * 2):
            options.append((f"cluster_size={m}", d.with_(cluster_size=m)))
    else:
        for share in (0.33, 0.67):
            if d.kind != "pre_post":
                options.append((f"share_treated={share}", d.with_(share_treated=share)))
    rows = []
    for label, design in options:
        if design.clustered:
            size = {"clusters": max(4.0, math.floor(persons / design.cluster_size))}
        else:
            size = {"n": persons}
        try:
            row = plan_mdes(design, power=q.power, **size).iloc[0]
        except PlanningError:
            continue
        rows.append({"choice": label, "design": design.kind, "n_enrolled": row["n_enrolled"],
                     "clusters": row["clusters"], "cluster_size": row["cluster_size"],
                     "icc": row["icc"], "r_pre_post": design.r_pre_post,
                     "retention": design.retention, "df": row["df"], "mdes": row["effect"],
                     "power": q.power})
    return pd.DataFrame(rows, columns=CHOICE_COLUMNS)

