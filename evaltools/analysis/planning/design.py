"""A planned design as data: which comparison, how clustered, how much dropout, which test.

:class:`PlanDesign` holds every assumption of a power calculation except the three quantities
that trade against each other (effect, sample size, power). It is validated once, when built,
so that the formulas in :mod:`evaltools.analysis.planning.analytic` and the simulation in
:mod:`evaltools.analysis.planning.simulation` can trust it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from evaltools.core.errors import EvaltoolsError

__all__ = ["PlanDesign", "PlanningError", "DESIGNS", "CLUSTER_DESIGNS", "ADJUSTMENTS"]

#: Design kinds and what each compares (the R or PowerUp! model it matches).
DESIGNS: dict[str, str] = {
    "pre_post": "one group measured before and after; paired t-test on the change "
                "(R pwr.t.test(type = 'paired'))",
    "ancova": "two groups, post-test adjusted for the baseline score; without a pre-post "
              "correlation a two-sample t-test (R pwr.t2n.test; PowerUp! IRA)",
    "diff_in_diff": "two groups, difference between their mean changes (two-sample t-test on "
                    "change scores)",
    "cluster_randomised": "clusters (sites, schools, neighbourhoods) assigned to intervention "
                          "or comparison as a whole, or a comparison group at cluster level "
                          "(PowerUp! CRA2_2r, Bloom 2006)",
    "multisite": "individuals assigned within each site; the effect may vary between sites "
                 "(PowerUp! BIRA2_1r, or BIRA2_1c when omega = 0)",
}
CLUSTER_DESIGNS = ("cluster_randomised", "multisite")
#: Multiple-outcome corrections of alpha for planning.
ADJUSTMENTS = ("none", "bonferroni", "holm", "bh")


class PlanningError(EvaltoolsError):
    """A planning question cannot be answered as asked (a design assumption out of range, a
    missing sample size, a target power that cannot be reached)."""


@dataclass(frozen=True)
class PlanDesign:
    """The assumptions of a planned evaluation.

    Attributes
    ----------
    kind : str
        One of :data:`DESIGNS`.
    alpha : float
        Type I error rate per family of outcomes (before the multiple-outcome correction).
    sides : {1, 2}
        One- or two-sided test.
    share_treated : float
        Share of persons (or clusters, or persons within each site) in the intervention group.
    r_pre_post : float
        Correlation between the baseline and the analysed wave at the person level. Used by
        ``pre_post`` (change score), ``ancova`` (R^2 = r^2) and ``diff_in_diff``.
    icc : float
        Intraclass correlation of the outcome at the cluster level (cluster designs).
    cluster_size : int
        Persons enrolled per cluster (cluster designs).
    r2_individual, r2_cluster : float
        Shares of the person-level and cluster-level variance explained by the baseline (and
        other covariates) in the cluster designs (PowerUp!'s R^2_1 and R^2_2).
    omega : float
        ``multisite`` only: variance of the site-specific effects over the cluster variance
        (PowerUp!'s omega); 0 means a constant effect across sites.
    covariates : int or None
        Covariates in the model at the level of assignment (PowerUp!'s g); they cost degrees of
        freedom. ``None``: 1 when a baseline is used (``ancova`` with ``r_pre_post > 0``, cluster
        designs with ``r2_cluster > 0``), else 0.
    attrition : tuple of float
        Dropout per wave after the baseline, each a share of those measured at the wave before;
        the analysis uses the last wave. ``(0.2, 0.15)``: 80 % measured at post, 68 % at
        follow-up.
    n_outcomes : int
        Outcomes tested (primary outcomes in one domain).
    adjust : {"none", "bonferroni", "holm", "bh"}
        Multiple-outcome correction. Holm and Bonferroni plan with ``alpha / n_outcomes`` (the
        first, strictest Holm step: a conservative per-outcome power); BH plans with
        ``alpha * n_true / n_outcomes``, the BH threshold when the ``n_true`` outcomes with an
        effect rank first (Benjamini & Hochberg 1995; a simplification of Jung 2005).
    n_true : int or None
        Outcomes expected to have a true effect (BH only); ``None`` means all.
    """

    kind: str = "ancova"
    alpha: float = 0.05
    sides: int = 2
    share_treated: float = 0.5
    r_pre_post: float = 0.0
    icc: float = 0.0
    cluster_size: int | None = None
    r2_individual: float = 0.0
    r2_cluster: float = 0.0
    omega: float = 0.0
    covariates: int | None = None
    attrition: tuple[float, ...] = field(default=())
    n_outcomes: int = 1
    adjust: str = "none"
    n_true: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "attrition", tuple(float(a) for a in self.attrition))
        problems = list(_problems(self))
        if problems:
            raise PlanningError("planning design: " + "; ".join(problems))

    @property
    def clustered(self) -> bool:
        """Whether the design has clusters (sites) as a level."""
        return self.kind in CLUSTER_DESIGNS

    @property
    def retention(self) -> float:
        """Share of the enrolled persons measured at the analysed wave."""
        return float(np.prod([1.0 - a for a in self.attrition])) if self.attrition else 1.0

    @property
    def alpha_adjusted(self) -> float:
        """The per-outcome alpha the power is computed with (see ``adjust``)."""
        if self.adjust in ("bonferroni", "holm"):
            return self.alpha / self.n_outcomes
        if self.adjust == "bh":
            true = self.n_outcomes if self.n_true is None else self.n_true
            return self.alpha * true / self.n_outcomes
        return self.alpha

    @property
    def n_covariates(self) -> int:
        """Covariates at the level of assignment (see ``covariates``)."""
        if self.covariates is not None:
            return self.covariates
        if self.kind == "ancova":
            return int(self.r_pre_post != 0)
        if self.kind == "cluster_randomised":
            return int(self.r2_cluster > 0)
        return 0

    def with_(self, **changes) -> PlanDesign:
        """A copy with some assumptions changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain data (for a report's parameters or a YAML file)."""
        out = asdict(self)
        out["attrition"] = list(self.attrition)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PlanDesign:
        """Build from plain data; unknown keys are refused with the allowed ones named."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PlanningError(f"planning design: unknown keys {unknown}; allowed: "
                                + ", ".join(sorted(known)))
        data = dict(data)
        if "attrition" in data:
            value = data["attrition"]
            data["attrition"] = (value,) if isinstance(value, (int, float)) else tuple(value)
        return cls(**data)


def _problems(d: PlanDesign):
    if d.kind not in DESIGNS:
        yield f"kind={d.kind!r}: expected one of {', '.join(DESIGNS)}"
        return
    if not 0.0 < d.alpha < 1.0:
        yield f"alpha={d.alpha!r}: expected a probability between 0 and 1"
    if d.sides not in (1, 2):
        yield f"sides={d.sides!r}: expected 1 or 2"
    if not 0.0 < d.share_treated < 1.0:
        yield f"share_treated={d.share_treated!r}: expected a share strictly between 0 and 1"
    if not -1.0 < d.r_pre_post < 1.0:
        yield f"r_pre_post={d.r_pre_post!r}: expected a correlation strictly between -1 and 1"
    for name in ("icc", "r2_individual", "r2_cluster"):
        value = getattr(d, name)
        if not 0.0 <= value < 1.0:
            yield f"{name}={value!r}: expected a share from 0 up to (not including) 1"
    if d.omega < 0:
        yield f"omega={d.omega!r}: expected 0 or more"
    if d.clustered and (d.cluster_size is None or d.cluster_size < 2):
        yield (f"cluster_size={d.cluster_size!r}: design {d.kind!r} needs the persons per "
               "cluster (2 or more)")
    if any(not 0.0 <= a < 1.0 for a in d.attrition):
        yield f"attrition={list(d.attrition)}: expected shares from 0 up to (not including) 1"
    if d.covariates is not None and d.covariates < 0:
        yield f"covariates={d.covariates!r}: expected 0 or more"
    if d.n_outcomes < 1:
        yield f"n_outcomes={d.n_outcomes!r}: expected 1 or more"
    if d.adjust not in ADJUSTMENTS:
        yield f"adjust={d.adjust!r}: expected one of {', '.join(ADJUSTMENTS)}"
    if d.n_true is not None and not 1 <= d.n_true <= d.n_outcomes:
        yield f"n_true={d.n_true!r}: expected 1 to n_outcomes ({d.n_outcomes})"
