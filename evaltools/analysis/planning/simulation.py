"""Power, coverage and bias by simulating studies under the planned design.

For what the formulas do not cover: several waves with dropout analysed by the mixed model,
dropout that depends on the baseline score, few clusters, skewed scale scores. Each replication
draws a study's scale scores under the planned design, analyses it with the project's own
estimator for that design (:func:`~evaltools.analysis.effects.paired_change`,
:func:`~evaltools.analysis.effects.ancova`, :func:`~evaltools.analysis.effects.diff_in_diff`,
:func:`~evaltools.analysis.effects.mixed_model`,
:func:`~evaltools.analysis.effects.cluster_robust`) on a panel shaped like
:func:`evaltools.load_panel`'s, and records whether the effect was found.

The model
---------
For person *i* in cluster *s* (a site or neighbourhood; every person is their own cluster in
designs without clusters), group *g* and wave *w* = 0 (baseline), 1, ...::

    y = trend * w + effect * [g = intervention] * [w > 0] + v_sw + u_i + e_iw

with cluster parts ``v_sw`` (variance ``icc``, correlated ``cluster_r`` between waves), a stable
person part ``u_i`` (variance ``r_pre_post * (1 - icc)``) and an occasion part ``e_iw``
(variance ``(1 - r_pre_post) * (1 - icc)``): the outcome has SD 1 at every wave, so effects are
in SD units, as in the formulas. ``skew > 0`` draws the person part from a standardised gamma
distribution with that skewness (a floor or ceiling effect on a scale score). Dropout follows
``design.attrition`` wave by wave: at random (``dropout_slope = 0``) or more often among low
baseline scores (log-odds of staying ``dropout_slope`` per SD of the baseline score: missing at
random given the baseline). In ``cluster_randomised`` designs whole clusters are assigned; in
``multisite`` designs persons within each cluster, and the effect varies between clusters with
variance ``icc * omega``.

Two generators
--------------
``generator="scores"`` draws the scale scores directly from the model above. ``generator="study"``
draws each study with the project's own simulator, :func:`evaltools.demo.simulate_study`, under
the planned design: item-level answers to the planned instrument (``instrument``, default the
BRS) by an ordinal probit model of a latent factor, with the design's sites (clusters),
persons per group and site, whole-site or within-site assignment, ICC, pre-post correlation,
waves, dropout per wave, skew and trend (``units="score"``: the effect, ``r_pre_post`` and
``icc`` are meant for the scale score and converted to the latent factor through the scale's
reliability). The answers are scored with the instrument's own scoring
(:func:`evaltools.instruments.scoring.score_table`) and analysed by the same estimators. The
effect on a scale score is not exactly the latent effect, so the truth for coverage and bias is
the simulator's own truth table (``SimulatedStudy.true_effects``, the ``site = "all"`` row of the
analysed wave): the estimate, its SE and interval are divided by the table's baseline SD of the
scale (``sd_baseline``; in cluster designs by the total SD, ``sd_baseline / sqrt(1 - icc)``) and
compared with ``att_score`` on that scale. What the simulator cannot express is refused with a
:class:`PlanningError` naming it: allocation other than 1:1 within sites, more than
``MAX_SITES`` (100) sites, ``cluster_r`` (a site's level is the same at every wave),
``r2_individual``/``r2_cluster`` other than through ``r_pre_post``.

Replication *k* draws from ``numpy.random.default_rng`` seeded with the *k*-th child of
``numpy.random.SeedSequence(seed)``, so the results do not depend on the number of workers or on
the executor.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from scipy.special import expit, logit

from evaltools.analysis.effects import (
    ancova,
    cluster_robust,
    diff_in_diff,
    mixed_model,
    paired_change,
)
from evaltools.analysis.planning.design import PlanDesign, PlanningError
from evaltools.core.text import LocalText
from evaltools.demo.simulate import MAX_SITES, SimulationSettings, simulate_study
from evaltools.instruments.library import find_instruments
from evaltools.instruments.scoring import score_table
from evaltools.study.model import DataSpec, Group, Site, Study, Wave

__all__ = ["SimulationPlan", "simulate_power", "simulate_replication", "ESTIMATORS",
           "DEFAULT_ESTIMATOR", "SIMULATION_COLUMNS"]

#: Estimators a simulation can analyse with, and the designs each fits.
ESTIMATORS = {
    "paired_change": ("pre_post",),
    "ancova": ("ancova", "diff_in_diff"),
    "diff_in_diff": ("ancova", "diff_in_diff"),
    "mixed_model": ("pre_post", "ancova", "diff_in_diff", "multisite"),
    "cluster_robust": ("pre_post", "ancova", "diff_in_diff", "cluster_randomised", "multisite"),
}
DEFAULT_ESTIMATOR = {"pre_post": "paired_change", "ancova": "ancova",
                     "diff_in_diff": "diff_in_diff", "cluster_randomised": "cluster_robust",
                     "multisite": "cluster_robust"}

#: Columns of :func:`simulate_power`'s result.
SIMULATION_COLUMNS = [
    "design", "estimator", "effect", "n_enrolled", "clusters", "cluster_size", "waves",
    "n_sims", "n_failed", "power", "power_mc_se", "coverage", "coverage_mc_se", "bias",
    "bias_mc_se", "mean_estimate", "empirical_se", "mean_se", "mean_n_analysed",
    "alpha_adjusted", "sides", "ci_level", "seed", "seconds", "workers", "executor",
    "generator", "true_effect"]
GENERATORS = ("scores", "study")

_SCALE = "brs"        # the scale id the simulated scores are stored under
_GROUPS = ("interventie", "controle")


@dataclass(frozen=True)
class SimulationPlan:
    """One design point to simulate.

    Attributes
    ----------
    design : PlanDesign
    effect : float
        True effect in SD units at every wave after the baseline.
    n : int, optional
        Persons enrolled (designs without clusters).
    clusters : int, optional
        Clusters enrolled (cluster designs).
    estimator : str, optional
        One of :data:`ESTIMATORS`; default :data:`DEFAULT_ESTIMATOR` for the design.
    trend : float
        Change per wave that happens anyway (both groups), SD units.
    cluster_r : float, optional
        Correlation of a cluster's effects between waves; default ``r_pre_post``.
    skew : float
        Skewness of the person part (0: normal).
    dropout_slope : float
        Log-odds of staying per SD of the baseline score (0: dropout at random).
    ci_level : float
        Level of the intervals whose coverage is reported.
    generator : {"scores", "study"}
        ``scores``: draw scale scores from the model in the module docstring; ``study``: draw
        item answers with the project's simulator and score them (see *Two generators*).
    instrument : str
        ``study`` only: the instrument administered; its first scale is analysed.
    item_seed : int
        ``study`` only: seed of the instrument's item thresholds, the same in every study.
    """

    design: PlanDesign
    effect: float
    n: int | None = None
    clusters: int | None = None
    estimator: str | None = None
    trend: float = 0.0
    cluster_r: float | None = None
    skew: float = 0.0
    dropout_slope: float = 0.0
    ci_level: float = 0.95
    generator: str = "scores"
    instrument: str = "brs"
    item_seed: int = 1

    def __post_init__(self) -> None:
        d = self.design
        if self.generator not in GENERATORS:
            raise PlanningError(f"generator={self.generator!r}: expected one of "
                                + ", ".join(GENERATORS))
        if self.estimator is None:
            object.__setattr__(self, "estimator", DEFAULT_ESTIMATOR[d.kind])
        if self.estimator not in ESTIMATORS:
            raise PlanningError(f"estimator={self.estimator!r}: expected one of "
                                + ", ".join(ESTIMATORS))
        if d.kind not in ESTIMATORS[self.estimator]:
            raise PlanningError(f"estimator {self.estimator!r} does not fit design {d.kind!r}; "
                                "it fits " + ", ".join(ESTIMATORS[self.estimator]))
        if d.clustered and (self.clusters is None or self.clusters < 2):
            raise PlanningError(f"design {d.kind!r} needs clusters= (2 or more)")
        if not d.clustered and (self.n is None or self.n < 4):
            raise PlanningError(f"design {d.kind!r} needs n= (4 or more persons)")
        if self.generator == "study":
            _settings(self)  # refuses what the project's simulator cannot express
        if self.cluster_r is not None and not -1 <= self.cluster_r <= 1:
            raise PlanningError(f"cluster_r={self.cluster_r!r}: expected a correlation")
        if self.skew < 0:
            raise PlanningError(f"skew={self.skew!r}: expected 0 or more")
        if not 0 < self.ci_level < 1:
            raise PlanningError(f"ci_level={self.ci_level!r}: expected a level between 0 "
                                "and 1")

    @property
    def waves(self) -> int:
        """Baseline plus one wave per attrition step (at least one)."""
        return 1 + max(1, len(self.design.attrition))

    @property
    def scale(self) -> str:
        """The scale analysed (``scores``: stored under the BRS scale's id)."""
        if self.generator == "scores":
            return _SCALE
        return _instrument(self.instrument).scales[0].id


def _wave_ids(k: int) -> list[str]:
    return [f"t{w}" for w in range(k)]


def _study(plan: SimulationPlan) -> Study:
    """A minimal study definition the estimators accept (groups, waves, one scale)."""
    instrument = _SCALE if plan.generator == "scores" else plan.instrument
    return _study_for(plan.design.kind == "pre_post", plan.waves, instrument)


def _instrument(instrument_id: str):
    library = find_instruments()
    if instrument_id not in library:
        raise PlanningError(f"instrument={instrument_id!r}: not in the instrument library")
    return library[instrument_id][-1]


@functools.lru_cache(maxsize=16)
def _study_for(pre_post: bool, k: int, instrument_id: str = _SCALE) -> Study:
    instrument = _instrument(instrument_id)
    roles = [("intervention", _GROUPS[0])]
    if not pre_post:
        roles.append(("comparison", _GROUPS[1]))
    waves = tuple(Wave(w, i, "baseline" if i == 0 else ("post" if i == 1 else "follow_up"),
                       LocalText(w, w)) for i, w in enumerate(_wave_ids(k)))
    data = DataSpec(raw_dir=Path("."), files=(), respondent_id="respondent_id",
                    site_column="site", group_column="group", wave_column="wave",
                    submitted_at=None, item_columns={}, renames={}, identifiers=())
    return Study(folder=Path("."), id="planning", title=LocalText("planning", "planning"),
                 intervention="planned", protective_factors=(instrument.protective_factor,),
                 design="pre_post" if pre_post else "randomised",
                 groups=tuple(Group(g, role, LocalText(g, g)) for role, g in roles),
                 waves=waves, sites=(Site("s", "s"),), instruments=(instrument,), data=data,
                 subgroups=(), min_cell_size=2, language="nl", reports=())


def _person_part(rng: np.random.Generator, size: int, skew: float) -> np.ndarray:
    if skew == 0:
        return rng.standard_normal(size)
    shape = 4.0 / (skew * skew)
    draw = rng.gamma(shape, 1.0, size)
    return (draw - shape) / math.sqrt(shape)


def _draw_panel(plan: SimulationPlan, rng: np.random.Generator) -> pd.DataFrame:
    """A simulated study's scores in long format (one row per person and wave measured)."""
    d = plan.design
    k = plan.waves
    icc = d.icc if d.clustered else 0.0
    if d.clustered:
        j, m = int(plan.clusters), int(d.cluster_size)
        cluster = np.repeat(np.arange(j), m)
        if d.kind == "cluster_randomised":
            n_t = int(round(d.share_treated * j))
            arm = rng.permutation(np.r_[np.ones(n_t), np.zeros(j - n_t)])
            treated = arm[cluster].astype(bool)
        else:
            n_t = int(round(d.share_treated * m))
            treated = np.concatenate([rng.permutation(np.r_[np.ones(n_t), np.zeros(m - n_t)])
                                      for _ in range(j)]).astype(bool)
    else:
        n = int(plan.n)
        j = n
        cluster = np.arange(n)
        if d.kind == "pre_post":
            treated = np.ones(n, bool)
        else:
            n_t = int(round(d.share_treated * n))
            treated = rng.permutation(np.r_[np.ones(n_t), np.zeros(n - n_t)]).astype(bool)
    size = len(cluster)
    r = d.r_pre_post
    cr = r if plan.cluster_r is None else plan.cluster_r
    person = math.sqrt(max(r, 0.0) * (1 - icc)) * _person_part(rng, size, plan.skew)
    site_effect = np.zeros(size)
    if d.kind == "multisite" and d.omega > 0:
        site_effect = (math.sqrt(icc * d.omega) * rng.standard_normal(j))[cluster]
    # cluster parts: a stable part and a wave part, correlated cr between waves
    stable_c = math.sqrt(icc * max(cr, 0.0)) * rng.standard_normal(j) if d.clustered else 0.0
    scores, present = [], []
    stay = np.ones(size, bool)
    for w in range(k):
        occasion = math.sqrt((1 - max(r, 0.0)) * (1 - icc)) * rng.standard_normal(size)
        y = plan.trend * w + person + occasion
        if d.clustered:
            wave_c = math.sqrt(icc * (1 - max(cr, 0.0))) * rng.standard_normal(j)
            y = y + (stable_c + wave_c)[cluster]
        if w > 0:
            y = y + treated * (plan.effect + site_effect)
            share = d.attrition[w - 1] if d.attrition else 0.0
            if share > 0:
                z = (scores[0] - scores[0].mean()) / (scores[0].std() or 1.0)
                p_stay = expit(logit(1 - share) + plan.dropout_slope * z)
                stay = stay & (rng.random(size) < p_stay)
        scores.append(y)
        present.append(stay.copy())
    ids = np.array([f"p{i:06d}" for i in range(size)])
    sites = np.array([f"c{c:03d}" for c in cluster])
    groups = np.where(treated, _GROUPS[0], _GROUPS[1])
    frames = [pd.DataFrame({"respondent_id": ids[keep], "site": sites[keep],
                            "group": groups[keep], "wave": wave, _SCALE: y[keep]})
              for wave, y, keep in zip(_wave_ids(k), scores, present, strict=True)]
    return pd.concat(frames, ignore_index=True)


def _analyse(plan: SimulationPlan, study: Study, panel: pd.DataFrame) -> dict:
    """estimate, se, ci_low, ci_high, p_value, n of the effect at the last wave."""
    if "wave_order" not in panel.columns:  # the panel contract of every analysis
        panel = panel.assign(wave_order=panel["wave"].map({w.id: w.order for w in study.waves}))
    scale = plan.scale
    last = study.waves[-1].id
    level = plan.ci_level
    if plan.estimator == "paired_change":
        pre = panel[panel["wave"] == study.baseline.id].set_index("respondent_id")[scale]
        post = panel[panel["wave"] == last].set_index("respondent_id")[scale]
        both = pd.concat([pre, post], axis=1, join="inner").to_numpy()
        r = paired_change(both[:, 0], both[:, 1], ci_level=level).iloc[0]
        return dict(estimate=r["mean_change"], se=r["se"], ci_low=r["ci_low"],
                    ci_high=r["ci_high"], p_value=r["p_value"], df=r["df"], n=r["n"])
    if plan.estimator in ("ancova", "diff_in_diff"):
        fit = (ancova if plan.estimator == "ancova" else diff_in_diff)(
            panel, study, scales=scale, post=last, ci_level=level).iloc[0]
        return dict(estimate=fit["estimate"], se=fit["se"], ci_low=fit["ci_low"],
                    ci_high=fit["ci_high"], p_value=fit["p_value"], df=fit["df"], n=fit["n"])
    if plan.estimator == "mixed_model":
        table = mixed_model(panel, study, scales=scale, site_effect=plan.design.clustered,
                            ci_level=level)
    else:
        table = cluster_robust(panel, study, scales=scale,
                               cluster="site" if plan.design.clustered else "respondent_id",
                               ci_level=level)
    fit = table[table["wave"] == last].iloc[0]
    return dict(estimate=fit["estimate"], se=fit["se"], ci_low=fit["ci_low"],
                ci_high=fit["ci_high"], p_value=fit["p_value"], df=fit["df"],
                n=fit["n_respondents"])


def simulate_replication(plan: SimulationPlan, seed: np.random.SeedSequence | int) -> dict:
    """Draw and analyse one study; the row :func:`simulate_power` summarises.

    Returns
    -------
    dict
        ``estimate, se, ci_low, ci_high, p_value, df, n, truth, reject, covered, failed``
        (``failed`` is True when the estimator gave no estimate; the other values are then
        NaN). ``truth`` is ``plan.effect`` for the ``scores`` generator and the simulator's
        true effect on the scale for ``study``; estimates are in SD units (see the module
        docstring).
    """
    study = _study(plan)
    if plan.generator == "study":
        panel, truth, unit = _draw_study(plan, seed)
    else:
        panel, truth, unit = _draw_panel(plan, np.random.default_rng(seed)), plan.effect, 1.0
    try:
        out = _analyse(plan, study, panel)
    except (ValueError, np.linalg.LinAlgError, IndexError):
        out = {}
    if unit != 1.0 and out:  # score units -> SD units, in the scale's protective direction
        ends = sorted((out["ci_low"] / unit, out["ci_high"] / unit))
        out = {**out, "estimate": out["estimate"] / unit, "se": out["se"] / abs(unit),
               "ci_low": ends[0], "ci_high": ends[1]}
    est, p = out.get("estimate", np.nan), out.get("p_value", np.nan)
    failed = not (np.isfinite(est) and np.isfinite(p))
    d = plan.design
    if d.sides == 1:  # one-sided: the effect in the planned (positive) direction
        p = p / 2 if est > 0 else 1 - p / 2
    return {**{k: out.get(k, np.nan) for k in ("estimate", "se", "ci_low", "ci_high", "df",
                                                "n")},
            "truth": truth, "p_value": p, "reject": bool(not failed and p < d.alpha_adjusted),
            "covered": bool(not failed and out["ci_low"] <= truth <= out["ci_high"]),
            "failed": failed}


def _settings(plan: SimulationPlan) -> SimulationSettings:
    """The project simulator's settings for the planned design (seed set per replication).

    Raises
    ------
    PlanningError
        Naming what the simulator cannot express.
    """
    d = plan.design
    problems = []
    if d.clustered and plan.clusters > MAX_SITES:
        problems.append(f"clusters={plan.clusters}: the simulator draws at most {MAX_SITES} "
                        "sites")
    if d.kind in ("ancova", "diff_in_diff", "multisite") and d.share_treated != 0.5:
        problems.append(f"share_treated={d.share_treated:g}: the simulator enrols equal "
                        "groups in a site (0.5)")
    if plan.cluster_r not in (None, 1.0) and d.clustered:
        problems.append("cluster_r: a simulated site keeps its level at every wave (1)")
    if d.r2_individual or d.r2_cluster:
        problems.append("r2_individual/r2_cluster: the simulator's baseline explains what "
                        "r_pre_post implies; set them to 0")
    if d.r_pre_post < 0:
        problems.append(f"r_pre_post={d.r_pre_post:g}: expected 0 or more")
    if problems:
        raise PlanningError("generator 'study' cannot express this plan: "
                            + "; ".join(problems) + " (use generator='scores')")
    inst = _instrument(plan.instrument)
    k = plan.waves
    common = dict(
        design="randomised", instruments=(inst.id,), effect_sd_sites=0.0,
        follow_up_retention=1.0, dropout_slope=plan.dropout_slope, return_share=0.0,
        non_starter_share=0.0, item_missing=0.0, dont_know=0.0, duplicate_share=0.0,
        n_waves=k, dropout=tuple(d.attrition) or (0.0,) * (k - 1),
        trends=tuple(plan.trend * w for w in range(k)), r_pre_post=d.r_pre_post,
        skew=plan.skew, item_seed=plan.item_seed, units="score", fast=True)
    effect = plan.effect
    if d.kind == "pre_post":
        return SimulationSettings(n_sites=1, size=(plan.n, plan.n), comparison=False,
                                  effects={inst.protective_factor: effect}, **common)
    if not d.clustered:
        half = max(2, round(plan.n / 2))
        return SimulationSettings(n_sites=1, size=(half, half), icc=0.0,
                                  effects={inst.protective_factor: effect}, **common)
    # the planned effect is per total SD; the simulator's per within-site SD
    effect = effect / math.sqrt(1.0 - d.icc)
    if d.kind == "cluster_randomised":
        m = int(d.cluster_size)
        return SimulationSettings(n_sites=int(plan.clusters), size=(m, m),
                                  assignment="whole_site", share_treated_sites=d.share_treated,
                                  icc=d.icc, effects={inst.protective_factor: effect},
                                  **common)
    half = max(2, round(d.cluster_size / 2))
    common["effect_sd_sites"] = math.sqrt(d.icc * d.omega / (1.0 - d.icc))
    return SimulationSettings(n_sites=int(plan.clusters), size=(half, half), icc=d.icc,
                              effects={inst.protective_factor: effect}, **common)


def _draw_study(plan: SimulationPlan, seed) -> tuple[pd.DataFrame, float, float]:
    """(panel of scale scores, true effect in SD units, SD unit in score points) of one study
    drawn by the project's simulator."""
    if isinstance(seed, np.random.SeedSequence):
        seed = int(seed.generate_state(1)[0])
    try:
        sim = simulate_study(_settings(plan), seed=int(seed))
    except ValueError as error:
        raise PlanningError(f"generator 'study': {error}") from None
    keys = ["respondent_id", "site", "group", "wave"]
    panel = score_table(sim.responses, sim.instruments, keys=keys)
    scale = plan.scale
    truth = sim.true_effects
    row = truth[(truth["site"] == "all") & (truth["scale"] == scale)
                & (truth["wave"] == _wave_ids(plan.waves)[-1])].iloc[0]
    unit = float(row["sd_baseline"])
    if plan.design.clustered:
        unit /= math.sqrt(1.0 - plan.design.icc)
    if _instrument(plan.instrument).scales[0].direction == "higher_is_worse":
        unit = -unit
    return panel, float(row["att_score"]) / unit, unit


def _chunk(args: tuple[SimulationPlan, list]) -> list[dict]:
    plan, seeds = args
    return [simulate_replication(plan, s) for s in seeds]


def _chunks(seeds: list, size: int) -> list[list]:
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def simulate_power(plan: SimulationPlan, *, n_sims: int = 500, seed: int = 20240901,
                   workers: int = 1, executor: str = "local", scheduler: str | None = None,
                   progress: bool = False, chunk_size: int = 10,
                   replications: list | None = None,
                   generator: str | None = None) -> pd.DataFrame:
    """Power, coverage and bias of a design point by simulation, with Monte Carlo errors.

    Parameters
    ----------
    plan : SimulationPlan
    n_sims : int
        Simulated studies. The Monte Carlo SE of a power near 0.8 is about
        ``0.4 / sqrt(n_sims)`` (0.018 with 500).
    seed : int
        Seed of the ``numpy.random.SeedSequence`` each replication's generator is spawned from.
    workers : int
        Local processes (1: in this process). Ignored by the dask executor.
    executor : {"local", "dask"}
        ``dask`` sends chunks of replications to an existing Dask distributed cluster at
        ``scheduler`` (needs the ``distributed`` package).
    scheduler : str, optional
        Address of the Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
    progress : bool
        Show a progress bar (rich) on the terminal.
    chunk_size : int
        Replications per task sent to a worker.
    replications : list, optional
        If a list is given, every replication's row (:func:`simulate_replication`) is appended
        to it, in replication order.
    generator : {"scores", "study"}, optional
        Overrides ``plan.generator``: draw scale scores, or whole studies with the project's
        simulator (:func:`evaltools.demo.simulate_study`), scored and then analysed.

    Returns
    -------
    DataFrame
        One row, columns :data:`SIMULATION_COLUMNS`: the design point (``design, estimator,
        effect, n_enrolled, clusters, cluster_size, waves``), ``n_sims`` and ``n_failed``
        (replications the estimator could not fit, left out of the summaries), ``power`` (share
        of studies with ``p < alpha_adjusted``, one-sided in the effect's direction when
        ``design.sides == 1``) and ``power_mc_se = sqrt(power (1 - power) / R)``, ``coverage``
        of the estimator's ``ci_level`` interval and its MC SE, ``bias = mean(estimate -
        truth)`` with MC SE ``SD(estimate - truth) / sqrt(R)``, ``empirical_se`` (SD of the
        estimates),
        ``mean_se`` (mean reported SE), ``mean_n_analysed``, ``alpha_adjusted``, ``sides``,
        ``ci_level``, ``seed``, ``seconds`` (wall time), ``workers``, ``executor``,
        ``generator`` and ``true_effect`` (mean of the replications' truths: ``effect`` for
        ``scores``, the simulator's effect on the scale score in SD units for ``study``).
        ``bias`` and ``coverage`` are against each replication's truth.

    Raises
    ------
    PlanningError
        For ``n_sims < 2``, an unknown executor, or ``dask`` without a scheduler.

    Notes
    -----
    Monte Carlo standard errors as in Morris, White & Crowther (2019), "Using simulation
    studies to evaluate statistical methods", Stat. Med. 38, Table 6. Where an analytic answer
    exists the simulated power agrees with :func:`~evaltools.analysis.planning.plan_power`
    within Monte Carlo error (``tests/test_planning_simulation.py``).
    """
    if n_sims < 2:
        raise PlanningError(f"n_sims={n_sims!r}: expected 2 or more simulated studies")
    if executor not in ("local", "dask"):
        raise PlanningError(f"executor={executor!r}: expected 'local' or 'dask'")
    if executor == "dask" and not scheduler:
        raise PlanningError("the dask executor needs a scheduler address (--scheduler)")
    if workers < 1:
        raise PlanningError(f"workers={workers!r}: expected 1 or more")
    if generator is not None:
        plan = replace(plan, generator=generator)
    seeds = np.random.SeedSequence(seed).spawn(n_sims)
    tasks = [(plan, chunk) for chunk in _chunks(seeds, max(1, chunk_size))]
    results: dict[int, list[dict]] = {}
    start = time.perf_counter()
    with _ProgressBar(progress, n_sims) as advance:
        def done(index: int, rows: list[dict]) -> None:
            results[index] = rows
            advance(len(rows))

        if executor == "dask":
            _run_on_dask(tasks, scheduler, done)
        elif workers == 1:
            for i, task in enumerate(tasks):
                done(i, _chunk(task))
        else:
            # spawn, not fork: a fork of a threaded process (a notebook's kernel) can hang
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                futures = {pool.submit(_chunk, task): i for i, task in enumerate(tasks)}
                for future in as_completed(futures):
                    done(futures[future], future.result())
    seconds = time.perf_counter() - start
    rows = [row for i in range(len(tasks)) for row in results[i]]
    if replications is not None:
        replications.extend(rows)
    return pd.DataFrame([_summary(plan, rows, seed=seed, seconds=seconds, workers=workers,
                                  executor=executor)], columns=SIMULATION_COLUMNS)


def _summary(plan: SimulationPlan, rows: list[dict], **meta) -> dict:
    d = plan.design
    table = pd.DataFrame(rows)
    ok = table[~table["failed"]]
    r = len(ok)
    power = float(ok["reject"].mean()) if r else np.nan
    coverage = float(ok["covered"].mean()) if r else np.nan
    est = ok["estimate"].to_numpy(float)
    truth = ok["truth"].to_numpy(float)
    emp_se = float(np.std(est, ddof=1)) if r > 1 else np.nan
    n_enrolled = (plan.clusters * d.cluster_size) if d.clustered else plan.n
    return {
        "design": d.kind, "estimator": plan.estimator, "effect": plan.effect,
        "n_enrolled": n_enrolled, "clusters": plan.clusters if d.clustered else np.nan,
        "cluster_size": d.cluster_size if d.clustered else np.nan, "waves": plan.waves,
        "n_sims": len(table), "n_failed": int(table["failed"].sum()),
        "power": power, "power_mc_se": math.sqrt(power * (1 - power) / r) if r else np.nan,
        "coverage": coverage,
        "coverage_mc_se": math.sqrt(coverage * (1 - coverage) / r) if r else np.nan,
        "bias": float((est - truth).mean()) if r else np.nan,
        "bias_mc_se": (float(np.std(est - truth, ddof=1)) / math.sqrt(r)
                       if r > 1 else np.nan),
        "mean_estimate": float(est.mean()) if r else np.nan, "empirical_se": emp_se,
        "mean_se": float(ok["se"].mean()) if r else np.nan,
        "mean_n_analysed": float(ok["n"].mean()) if r else np.nan,
        "alpha_adjusted": d.alpha_adjusted, "sides": d.sides, "ci_level": plan.ci_level,
        **meta, "generator": plan.generator,
        "true_effect": float(truth.mean()) if r else np.nan,
    }


class _ProgressBar:
    """A rich progress bar over replications (or nothing, when not asked for)."""

    def __init__(self, show: bool, total: int):
        self.show, self.total = show, total
        self.bar: Progress | None = None

    def __enter__(self) -> Callable[[int], None]:
        if not self.show:
            return lambda k: None
        self.bar = Progress(TextColumn("simulating studies"), BarColumn(),
                            TextColumn("{task.completed}/{task.total}"), TimeRemainingColumn())
        self.bar.start()
        task = self.bar.add_task("simulate", total=self.total)
        return lambda k: self.bar.advance(task, k)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _run_on_dask(tasks: list, scheduler: str, done: Callable[[int, list], None]) -> None:
    """Send chunks of replications to an existing Dask distributed cluster."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler, timeout=60) as client:
        futures = {client.submit(_chunk, task, pure=False): i for i, task in enumerate(tasks)}
        for future in dask_completed(list(futures)):
            done(futures[future], future.result())


def with_sizes(plan: SimulationPlan, sizes: Iterable[int]) -> list[SimulationPlan]:
    """The same plan at several sample sizes (persons, or clusters in cluster designs)."""
    key = "clusters" if plan.design.clustered else "n"
    return [replace(plan, **{key: int(s)}) for s in sizes]
