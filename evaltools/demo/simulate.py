"""A synthetic evaluation study with known true effects.

:func:`simulate_study` draws a complete controlled (or randomised) study in memory: several sites,
an intervention and a comparison group, three waves (baseline, post, 6-month follow-up), and the
item answers of several instruments. :func:`generate_demo_study` writes it to a study folder as
fieldwork agencies deliver it (see :mod:`evaltools._demo_files`), with the truth beside it.

The model
---------
Each instrument measures one latent protective factor ``eta`` (SD 1 in the population at every
wave). For respondent *i* in site *s*, group *g*, wave *w*:

``eta = mu[s, g, w] + u_i + e_iw``, with a stable person part ``u`` (variance 0.65, correlated
0.35 between instruments) and an occasion part ``e`` (variance 0.35), so that the latent
test-retest correlation is 0.65. The group mean is

``mu = site_level[s] + offset * [g = intervention] + trend[w] + delta[s, w] * [g = intervention]``

where ``offset`` is the baseline difference between groups (non-zero in a quasi-experiment: the
intervention reaches people with lower scores), ``trend`` is change that happens anyway
(maturation), and ``delta`` is the true effect of the intervention in latent SD units for the
instrument's protective factor, varying between sites, with a share ``follow_up_retention`` of
the post effect left at follow-up.

An item answer is the category of ``lambda * eta + N(0, sigma^2)`` between ordered thresholds
(an ordinal probit item); ``lambda`` is -1 for items of a scale where higher is worse. Because
``eta ~ N(mu, 1)``, the expected scored item is known exactly,
``E[y] = v0 + sum_k (v_k - v_{k-1}) * Phi((lambda * mu - tau_k) / sqrt(sigma^2 + 1))``,
so the expected scale means per site, group and wave and the effect on the treated in score units
(``E[score | mu_T] - E[score | mu_T - delta]``) are written out as the truth.

Planned designs
---------------
The same model draws the studies a power simulation needs
(:mod:`evaltools.analysis.planning.simulation`): a fixed number of respondents per group and
site (``size=(m, m)``), whole sites assigned to the intervention or the comparison
(``assignment="whole_site"``) or one group only (``comparison=False``), a site-level variance
given as an intraclass correlation (``icc``), the person-level stable share of the latent
variance (``r_pre_post``, the latent test-retest correlation), any number of waves
(``n_waves``) with dropout per wave (``dropout``) and trends (``trends``), skewed person parts
(``skew``), instrument calibration fixed across studies (``item_seed``) and, with
``units="score"``, effects, ``r_pre_post`` and ``icc`` meant for the scale score rather than the
latent factor (converted through the scale's reliability; see :class:`SimulationSettings`).
``fast=True`` skips what a power simulation does not use: identifiers, submission times, double
submissions, the expected means and the sorting of the responses.

Realistic mess: items left blank (MCAR), "weet niet" answers (code 9), dropout after baseline
that depends on the observed baseline scores (missing at random), respondents who start only at
post (non-starters), a few double submissions within a wave, and direct identifiers in the files.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit
from scipy.stats import norm

from evaltools.instruments.library import find_instruments
from evaltools.instruments.model import Instrument

__all__ = ["SimulationSettings", "SimulatedStudy", "simulate_study", "DEMO_SITES"]

#: Focus areas used as demo sites (names of real areas; all data are synthetic).
DEMO_SITES: tuple[tuple[str, str, str], ...] = (
    ("rotterdam-zuid", "Rotterdam-Zuid", "Rotterdam"),
    ("den-haag-zuidwest", "Den Haag Zuidwest", "'s-Gravenhage"),
    ("amsterdam-nieuw-west", "Amsterdam Nieuw-West", "Amsterdam"),
    ("utrecht-overvecht", "Utrecht Overvecht", "Utrecht"),
    ("heerlen-noord", "Heerlen-Noord", "Heerlen"),
    ("leeuwarden-oost", "Leeuwarden Oost", "Leeuwarden"),
    ("zaandam-oost", "Zaandam Oost", "Zaanstad"),
    ("arnhem-oost", "Arnhem Oost", "Arnhem"),
)
MAX_SITES = 100


def demo_sites(n: int) -> list[tuple[str, str, str]]:
    """The first ``n`` demo sites: the named focus areas, then numbered neighbourhoods."""
    extra = [(f"wijk-{k:02d}", f"Wijk {k}", "Voorbeeldgemeente")
             for k in range(len(DEMO_SITES) + 1, MAX_SITES + 1)]
    return list((*DEMO_SITES, *extra)[:n])


DEMO_INSTRUMENTS = ("brs", "who5", "mspss", "apgar", "umics", "djg6", "cohesion",
                    "digres_example", "democit_example")
#: True post effects in latent SD units, per protective factor (a null effect included on purpose).
DEMO_EFFECTS = {
    "resilience": 0.30,
    "wellbeing": 0.20,
    "supportive_family": 0.15,
    "positive_identity": 0.25,
    "social_connectedness": 0.15,
    "social_cohesion": 0.10,
    "digital_resilience": 0.40,
    "democratic_citizenship": 0.0,
}
#: Waves: id, role, date window (start, end), trend in latent SD units.
DEMO_WAVES = (
    ("t0", "baseline", ("2024-09-02", "2024-10-11"), 0.0),
    ("t1", "post", ("2025-01-13", "2025-02-21"), 0.05),
    ("t2", "follow_up", ("2025-07-14", "2025-08-22"), 0.08),
)
GROUPS = ("interventie", "controle")
#: The arms of a three-arm study (``second_arm``): a second intervention arm beside the first.
THREE_ARMS = ("interventie", "interventie_b", "controle")
#: True post effects of the demo's second intervention arm (``evaltools demo --arms 3``): a
#: shorter variant that works on resilience and wellbeing only, more strongly on resilience.
DEMO_SECOND_ARM = {"resilience": 0.45, "wellbeing": 0.20}

_PERSON_VAR, _PERSON_CORR, _ITEM_NOISE_SD = 0.65, 0.35, 0.8

# Synthetic identifiers: they exist so that ingestion can prove it drops them.
_FIRST = ("Anouk", "Fatima", "Sanne", "Mohamed", "Jan", "Emre", "Lotte", "Noah", "Priya", "Daan",
          "Zoë", "Sem", "Aïcha", "Bram", "Mila", "Youssef", "Eva", "Luuk", "Chantal", "René")
_LAST = ("de Vries", "Jansen", "El Amrani", "van Dijk", "Bakker", "Özdemir", "Visser", "Smit",
         "Meijer", "de Boer", "Mulder", "Yilmaz", "Bos", "Vos", "Peters", "Hendriks", "Sánchez",
         "Dekker", "Brouwer", "Müller")
_POSTCODE_PREFIX = (3072, 2532, 1064, 3563, 6415, 8923, 1505, 6825)
_AGE_BANDS = ((18, 29, "18-29"), (30, 44, "30-44"), (45, 64, "45-64"), (65, 120, "65+"))
IDENTIFIER_COLUMNS = ("name", "email", "phone", "postcode", "birth_date")
SUBGROUP_COLUMNS = ("gender", "age_band")


@dataclass(frozen=True)
class SimulationSettings:
    """Everything that shapes a simulated study. Defaults give the bundled demo study.

    Attributes
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same settings give the same study.
    n_sites : int
        Number of sites (1 to ``MAX_SITES``; beyond the named focus areas, numbered
        neighbourhoods).
    size : (int, int)
        Inclusive range of respondents enrolled per site and group.
    design : {"controlled", "randomised"}
        ``randomised`` sets the baseline difference between groups to zero.
    effects : dict
        True post effect per protective factor, in latent SD units.
    effect_sd_sites : float
        SD of the site-specific deviations from those effects.
    follow_up_retention : float
        Share of the post effect left at follow-up.
    baseline_offset : float
        Intervention minus comparison at baseline, latent SD units (quasi-experiments only).
    site_level_sd : float
        SD of site baseline levels.
    retention_post, retention_follow_up : float
        Share of baseline respondents measured again at post, and of those at follow-up.
    dropout_slope : float
        Log-odds of staying per SD of the observed baseline composite score (MAR dropout).
    return_share : float
        Share of post dropouts who come back at follow-up.
    non_starter_share : float
        Share of enrolled respondents first measured at post.
    item_missing, dont_know : float
        Per-answer probabilities of a blank and of "weet niet" (code 9).
    duplicate_share : float
        Probability that a wave file contains one double submission.
    instruments : tuple of str
        Instrument ids to administer.
    n_waves : int
        Waves: baseline, post, then follow-ups (``t0, t1, ...``); the demo has 3. Waves after
        the third keep the third's trend and effect.
    dropout : tuple of float, optional
        Dropout per wave after the baseline, each a share of those measured at the wave before
        (replaces ``retention_post`` and ``retention_follow_up``; ``n_waves - 1`` values).
    trends : tuple of float, optional
        Change that happens anyway, per wave, latent SD units (default: the demo's).
    assignment : {"within_site", "whole_site"}
        ``within_site``: both groups in every site; ``whole_site``: each site is in one group
        (cluster assignment), the first ``round(share_treated_sites * n_sites)`` sites in the
        intervention group (site levels are independent draws, so this is as good as random).
    share_treated_sites : float
        Share of sites in the intervention group (``whole_site`` only).
    comparison : bool
        False: the intervention group only (a one-group pre-post study).
    icc : float, optional
        Intraclass correlation of the latent factor between sites (replaces ``site_level_sd``:
        site variance ``icc / (1 - icc)`` beside the within-site variance of 1).
    r_pre_post : float, optional
        Latent correlation between waves within a person: the stable person share of the
        within-site variance (default 0.65).
    skew : float
        Skewness of the person parts (0: normal; above 0: standardised gamma draws, a floor or
        ceiling on the scale scores).
    item_seed : int, optional
        Seed of the item thresholds, so that studies drawn with different ``seed`` share one
        calibration of the instruments (default: drawn from ``seed``).
    units : {"latent", "score"}
        ``score``: ``effects`` are standardised effects (Cohen's d, per within-site baseline
        SD) on each instrument's first scale score, and ``r_pre_post`` and ``icc`` are the
        scale score's, converted to the latent factor through the scale's reliability
        ``rel = corr(score, eta)^2`` (``r_latent = r / rel``; site variance
        ``icc / (rel (1 - icc))``) and the exact expected scale score.
    fast : bool
        Skip identifiers, submission times, double submissions, expected means and sorting.
    second_arm : dict, optional
        True post effects (latent SD units, per protective factor) of a second intervention
        arm, ``interventie_b``, assigned within sites beside the first (a three-arm study,
        :data:`THREE_ARMS`; e.g. :data:`DEMO_SECOND_ARM`). The truth then has a ``group``
        column. Without it the study is drawn exactly as before.
    """

    seed: int = 20240901
    n_sites: int = 6
    size: tuple[int, int] = (150, 400)
    design: Literal["controlled", "randomised"] = "controlled"
    effects: dict[str, float] = field(default_factory=lambda: dict(DEMO_EFFECTS))
    effect_sd_sites: float = 0.06
    follow_up_retention: float = 0.6
    baseline_offset: float = -0.15
    site_level_sd: float = 0.15
    retention_post: float = 0.80
    retention_follow_up: float = 0.85
    dropout_slope: float = 0.5
    return_share: float = 0.15
    non_starter_share: float = 0.04
    item_missing: float = 0.02
    dont_know: float = 0.015
    duplicate_share: float = 0.5
    instruments: tuple[str, ...] = DEMO_INSTRUMENTS
    n_waves: int = 3
    dropout: tuple[float, ...] | None = None
    trends: tuple[float, ...] | None = None
    assignment: Literal["within_site", "whole_site"] = "within_site"
    share_treated_sites: float = 0.5
    comparison: bool = True
    icc: float | None = None
    r_pre_post: float | None = None
    skew: float = 0.0
    item_seed: int | None = None
    units: Literal["latent", "score"] = "latent"
    fast: bool = False
    second_arm: dict[str, float] | None = None

    def to_dict(self) -> dict:
        """Plain data, for ``truth/simulation.json``.

        Fields added for planned designs appear only when they differ from their defaults,
        so that the demo study's files stay as they were.
        """
        out = asdict(self)
        out["size"] = list(self.size)
        out["instruments"] = list(self.instruments)
        for name in _PLANNING_FIELDS:
            value = out.pop(name)
            if value != getattr(_DEFAULTS, name):
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @property
    def groups(self) -> tuple[str, ...]:
        """The arms: intervention(s) first, the comparison last."""
        return THREE_ARMS if self.second_arm else GROUPS

    @property
    def waves(self) -> tuple[tuple[str, str, tuple[str, str], float], ...]:
        """(id, role, date window, trend) per wave."""
        return _waves(self)


_PLANNING_FIELDS = ("n_waves", "dropout", "trends", "assignment", "share_treated_sites",
                    "comparison", "icc", "r_pre_post", "skew", "item_seed", "units", "fast",
                    "second_arm")
_DEFAULTS = SimulationSettings()


def _waves(s: SimulationSettings) -> tuple:
    waves = list(DEMO_WAVES[:s.n_waves])
    for w in range(len(waves), s.n_waves):  # further follow-ups, six months apart
        start = pd.Timestamp(DEMO_WAVES[2][2][0]) + pd.DateOffset(months=6 * (w - 2))
        end = start + pd.Timedelta(days=39)
        waves.append((f"t{w}", "follow_up", (start.strftime("%Y-%m-%d"),
                                             end.strftime("%Y-%m-%d")), DEMO_WAVES[2][3]))
    if s.trends is not None:
        waves = [(w, role, dates, float(t)) for (w, role, dates, _), t
                 in zip(waves, s.trends, strict=True)]
    return tuple(waves)


@dataclass
class SimulatedStudy:
    """A simulated study in memory.

    Attributes
    ----------
    settings : SimulationSettings
    instruments : list of Instrument
    sites : list of (id, name, municipality)
    responses : DataFrame
        One row per submission as delivered: ``respondent_id, site, group, wave, submitted_at,
        duration_min``, identifiers, subgroups, then one column per item (scored direction
        undone for reverse-keyed items; blanks NaN; "weet niet" 9).
    participants : DataFrame
        One row per person: ``respondent_id, site, group, in_<wave>...``, the latent baseline
        composite ``z_baseline`` and the person's identifiers.
    true_effects : DataFrame
        ``site, protective_factor, instrument, scale, wave, effect_latent, att_score,
        sd_baseline, d_score``; ``site = "all"`` rows average over sites weighted by the
        intervention group's size.
    expected_means : DataFrame
        ``site, group, wave, scale, expected_mean``: population means of each scale score.
    duplicates : DataFrame
        ``respondent_id, site, wave``: the double submissions.
    """

    settings: SimulationSettings
    instruments: list[Instrument]
    sites: list[tuple[str, str, str]]
    responses: pd.DataFrame
    participants: pd.DataFrame
    true_effects: pd.DataFrame
    expected_means: pd.DataFrame
    duplicates: pd.DataFrame

    def flow(self) -> pd.DataFrame:
        """Participant flow per site and group, from the simulator's own record.

        Returns
        -------
        DataFrame
            ``site, group, enrolled, measured_t0, measured_t1, measured_t2, completers,
            dropouts, non_starters, follow_up_completers`` where completers are measured at
            baseline and post, dropouts at baseline but not post, non-starters at post but not
            baseline, follow-up completers at baseline and follow-up.
        """
        p = self.participants
        waves = [w[0] for w in self.settings.waves]
        agg = p.assign(
            enrolled=True,
            completers=p[f"in_{waves[0]}"] & p[f"in_{waves[1]}"],
            dropouts=p[f"in_{waves[0]}"] & ~p[f"in_{waves[1]}"],
            non_starters=~p[f"in_{waves[0]}"] & p[f"in_{waves[1]}"],
            follow_up_completers=(p[f"in_{waves[0]}"] & p[f"in_{waves[2]}"]
                                  if len(waves) > 2 else False),
            **{f"measured_{w}": p[f"in_{w}"] for w in waves},
        ).groupby(["site", "group"], sort=False)
        cols = ["enrolled", *(f"measured_{w}" for w in waves), "completers", "dropouts",
                "non_starters", "follow_up_completers"]
        return agg[cols].sum().astype("int64").reset_index()


def simulate_study(settings: SimulationSettings | None = None, **overrides) -> SimulatedStudy:
    """Draw a synthetic study with known true effects (see the module docstring for the model).

    Parameters
    ----------
    settings : SimulationSettings, optional
        Defaults give the demo study.
    **overrides
        Fields of :class:`SimulationSettings` to change, e.g. ``seed=3, n_sites=2``.

    Returns
    -------
    SimulatedStudy

    Raises
    ------
    ValueError
        For settings outside their range (a named field and the allowed range).

    Examples
    --------
    >>> sim = simulate_study(seed=7, n_sites=2, size=(30, 40))
    >>> sorted(sim.responses["wave"].unique())
    ['t0', 't1', 't2']
    >>> bool((sim.true_effects["site"] == "all").any())
    True
    """
    s = replace(settings or SimulationSettings(), **overrides)
    _check_settings(s)
    library = find_instruments()
    instruments = [library[i][-1] for i in s.instruments]
    rng = np.random.default_rng(s.seed)
    sites = demo_sites(s.n_sites)
    waves = s.waves
    params = _item_parameters(
        instruments, rng if s.item_seed is None else np.random.default_rng(s.item_seed))
    offset = s.baseline_offset if s.design == "controlled" else 0.0
    factors = [inst.protective_factor for inst in instruments]
    effects, person_var, site_sd = _latent_parameters(s, instruments, params)
    n_treated_sites = round(s.share_treated_sites * s.n_sites)

    frames, people, truth_rows, mean_rows, dups = [], [], [], [], []
    next_id = 100001
    for site_index, (site_id, _, _) in enumerate(sites):
        site_level = rng.normal(0.0, site_sd, size=len(instruments))
        post_delta = np.array([effects.get(f, 0.0) for f in factors])
        post_delta = post_delta + rng.normal(0.0, s.effect_sd_sites, size=len(instruments))
        post_delta[[effects.get(f, 0.0) == 0.0 for f in factors]] = 0.0  # nulls stay null
        deltas = [np.zeros(len(instruments)), post_delta]
        deltas += [post_delta * s.follow_up_retention] * (len(waves) - 2)
        mus = {}
        for group in GROUPS:
            treated = group == GROUPS[0]
            mus[group] = [site_level + (offset if treated else 0.0) + trend
                          + (deltas[w] if treated else 0.0)
                          for w, (*_, trend) in enumerate(waves)]
        arm_deltas = {GROUPS[0]: deltas}
        if s.second_arm:  # drawn after everything the two-arm study draws: it stays as it was
            second = np.array([s.second_arm.get(f, 0.0) for f in factors])
            second = second + rng.normal(0.0, s.effect_sd_sites, size=len(instruments))
            second[[s.second_arm.get(f, 0.0) == 0.0 for f in factors]] = 0.0
            arm_deltas[THREE_ARMS[1]] = [np.zeros(len(instruments)), second] + [
                second * s.follow_up_retention] * (len(waves) - 2)
            mus[THREE_ARMS[1]] = [site_level + offset + trend + arm_deltas[THREE_ARMS[1]][w]
                                  for w, (*_, trend) in enumerate(waves)]
        present = _groups_in_site(s, site_index, n_treated_sites)
        n_treated = {}
        for group in present:
            n = int(rng.integers(s.size[0], s.size[1] + 1))
            ids = [f"{next_id + k}" for k in range(n)]
            next_id += n + int(rng.integers(5, 50))  # agencies' numbering has gaps
            block, person = _simulate_group(s, rng, instruments, params, mus[group], n,
                                            site_index, person_var)
            n_treated[group] = n
            for frame in block:
                frame.insert(0, "respondent_id", [ids[k] for k in frame.pop("_person")])
                frame.insert(1, "site", site_id)
                frame.insert(2, "group", group)
            person.insert(0, "respondent_id", ids)
            person.insert(1, "site", site_id)
            person.insert(2, "group", group)
            frames.extend(block)
            people.append(person)
        for arm, arm_delta in arm_deltas.items():
            if n_treated.get(arm):
                rows = _truth_rows(site_id, instruments, params, mus, arm_delta, rng,
                                   n_treated=n_treated[arm], waves=waves, treated=arm)
                truth_rows += [{"group": arm, **r} for r in rows] if s.second_arm else rows
        if not s.fast:
            mean_rows += _mean_rows(site_id, instruments, params, mus, waves, s.groups)

    responses = pd.concat(frames, ignore_index=True)
    if s.fast:
        dups = pd.DataFrame(columns=["respondent_id", "site", "wave"])
    else:
        responses, dups = _add_duplicates(responses, s, rng)
        order = {w[0]: i for i, w in enumerate(waves)}
        responses = responses.sort_values(
            ["wave", "site", "submitted_at", "respondent_id"], key=lambda c: c.map(order)
            if c.name == "wave" else c, kind="stable").reset_index(drop=True)
    true_effects = _with_overall(pd.DataFrame(truth_rows))
    return SimulatedStudy(s, instruments, sites, responses, pd.concat(people, ignore_index=True),
                          true_effects, pd.DataFrame(mean_rows), dups)


def _groups_in_site(s: SimulationSettings, site_index: int, n_treated_sites: int
                    ) -> tuple[str, ...]:
    if not s.comparison:
        return GROUPS[:1]
    if s.assignment == "whole_site":
        return GROUPS[:1] if site_index < n_treated_sites else GROUPS[1:]
    return s.groups


_CALIBRATIONS: dict[tuple, tuple[dict[str, float], float, float]] = {}


def _latent_parameters(s: SimulationSettings, instruments, params
                       ) -> tuple[dict[str, float], float, float]:
    """(effects per factor, stable person variance, SD of site levels) in latent units.

    With ``units="score"`` and a fixed ``item_seed`` the calibration is the same for every
    study drawn, so it is computed once per process.
    """
    key = None
    if s.units == "score" and s.item_seed is not None:
        key = (s.instruments, s.item_seed, s.r_pre_post, s.icc, s.n_waves, s.trends,
               tuple(sorted(s.effects.items())))
        if key in _CALIBRATIONS:
            effects, r, site_sd = _CALIBRATIONS[key]
            return dict(effects), r, site_sd
    out = _compute_latent_parameters(s, instruments, params)
    if key is not None:
        if len(_CALIBRATIONS) > 64:
            _CALIBRATIONS.clear()
        _CALIBRATIONS[key] = (dict(out[0]), out[1], out[2])
    return out


def _compute_latent_parameters(s: SimulationSettings, instruments, params
                               ) -> tuple[dict[str, float], float, float]:
    effects = dict(s.effects)
    r = _PERSON_VAR if s.r_pre_post is None else s.r_pre_post
    icc = s.icc
    if s.units == "score":
        # one calibration per study: the first instrument's first scale for r and the ICC
        calibration = np.random.default_rng(s.item_seed if s.item_seed is not None else s.seed)
        rel = {inst.id: _reliability(inst.scales[0], inst, params, calibration)
               for inst in instruments}
        first = rel[instruments[0].id]
        if s.r_pre_post is not None:
            if s.r_pre_post >= first:
                raise ValueError(
                    f"simulation setting r_pre_post={s.r_pre_post!r}: expected a correlation "
                    f"below the reliability of scale {instruments[0].scales[0].id!r} "
                    f"({first:.3f}); a score cannot correlate more with itself over time")
            r = s.r_pre_post / first
        if icc is not None:
            icc = icc / (first * (1 - icc) + icc)  # latent ICC whose score ICC is s.icc
        trend_post = s.waves[1][3] if s.n_waves > 1 else 0.0
        for inst in instruments:
            d = effects.get(inst.protective_factor, 0.0)
            if d != 0.0:
                effects[inst.protective_factor] = _latent_effect(
                    d, inst.scales[0], inst, params, trend_post, calibration)
    site_sd = s.site_level_sd if icc is None else float(np.sqrt(icc / (1 - icc)))
    return effects, r, site_sd


def _reliability(scale, inst, params, rng, draws: int = 20000) -> float:
    """corr(scale score, eta)^2 for eta ~ N(0, 1), by Monte Carlo."""
    eta = rng.normal(0.0, 1.0, size=draws)
    items = _draw_items(eta, inst, params, rng, scored=True)
    matrix = np.column_stack([items[i] for i in scale.items])
    score = matrix.mean(axis=1) if scale.method == "mean" else matrix.sum(axis=1)
    return float(np.corrcoef(score, eta)[0, 1] ** 2)


def _latent_effect(d: float, scale, inst, params, mu: float, rng) -> float:
    """The latent effect whose effect on the scale score, per baseline SD, is ``d``."""
    sd = _mc_sd(scale, inst, params, [0.0, 0.0], rng)
    sign = -1.0 if scale.direction == "higher_is_worse" else 1.0

    def gap(delta: float) -> float:
        att = _expected_scale(scale, mu + delta, params) - _expected_scale(scale, mu, params)
        return sign * att / sd - d

    low, high = (0.0, 4.0 * d) if d > 0 else (4.0 * d, 0.0)
    return float(brentq(gap, low, high, xtol=1e-10))


def _check_settings(s: SimulationSettings) -> None:
    def bad(name: str, rule: str) -> ValueError:
        return ValueError(f"simulation setting {name}={getattr(s, name)!r}: expected {rule}")

    if not 1 <= s.n_sites <= MAX_SITES:
        raise bad("n_sites", f"1 to {MAX_SITES}")
    if not (len(s.size) == 2 and 2 <= s.size[0] <= s.size[1]):
        raise bad("size", "(low, high) with 2 <= low <= high")
    if s.design not in ("controlled", "randomised"):
        raise bad("design", "'controlled' or 'randomised'")
    for name in ("retention_post", "retention_follow_up", "return_share", "non_starter_share",
                 "item_missing", "dont_know", "duplicate_share", "follow_up_retention"):
        if not 0.0 <= getattr(s, name) <= 1.0:
            raise bad(name, "a share between 0 and 1")
    if s.item_missing + s.dont_know >= 0.5:
        raise bad("item_missing", "item_missing + dont_know below 0.5")
    if s.n_waves < 2:
        raise bad("n_waves", "2 or more (a baseline and a later wave)")
    if s.dropout is not None and (len(s.dropout) != s.n_waves - 1
                                  or not all(0.0 <= d < 1.0 for d in s.dropout)):
        raise bad("dropout", f"{s.n_waves - 1} shares from 0 up to (not including) 1")
    if s.trends is not None and len(s.trends) != s.n_waves:
        raise bad("trends", f"{s.n_waves} values, one per wave")
    if s.assignment not in ("within_site", "whole_site"):
        raise bad("assignment", "'within_site' or 'whole_site'")
    if s.assignment == "whole_site" and s.comparison and not (
            1 <= round(s.share_treated_sites * s.n_sites) < s.n_sites):
        raise bad("share_treated_sites", "a share leaving at least one site in each group")
    if s.icc is not None and not 0.0 <= s.icc < 1.0:
        raise bad("icc", "a share from 0 up to (not including) 1")
    if s.r_pre_post is not None and not 0.0 <= s.r_pre_post < 1.0:
        raise bad("r_pre_post", "a correlation from 0 up to (not including) 1")
    if s.skew < 0:
        raise bad("skew", "0 or more")
    if s.units not in ("latent", "score"):
        raise bad("units", "'latent' or 'score'")
    if s.second_arm is not None and (not s.comparison or s.assignment != "within_site"
                                     or s.units != "latent"):
        raise bad("second_arm", "effects of a second arm only with a comparison group, "
                  "assignment='within_site' and units='latent'")


@dataclass(frozen=True)
class _ItemModel:
    """An ordinal probit item: answer category = thresholds cut of ``orient * eta + noise``."""

    orient: float            # +1: a higher answer means more of the factor's scored direction
    sign: float              # -1 for items of a scale where higher is worse
    thresholds: np.ndarray   # between answer categories, on the latent answer scale
    answers: np.ndarray      # answer values as delivered
    scored: np.ndarray       # scored value of each answer (after keying or recoding)


def _item_parameters(instruments: list[Instrument], rng: np.random.Generator) -> dict:
    """An item model for every item of the instruments."""
    params = {}
    total_sd = np.sqrt(1.0 + _ITEM_NOISE_SD**2)
    for inst in instruments:
        worse = {i for sc in inst.scales if sc.direction == "higher_is_worse" for i in sc.items}
        for item in inst.items:
            answers, scored = inst.scored_values(item.id)
            k = len(answers)
            z = norm.ppf(np.arange(1, k) / k)
            shift = rng.uniform(-0.8, -0.2)  # most people agree with protective statements
            sign = -1.0 if item.id in worse else 1.0
            keyed = 1.0 if np.corrcoef(answers, scored)[0, 1] >= 0 else -1.0
            orient = sign * keyed
            thresholds = total_sd * (1.3 * z + shift * orient)
            params[item.id] = _ItemModel(orient, sign, thresholds, answers, scored)
    return params


def _expected_item(mu: float, model: _ItemModel) -> float:
    """E[scored value] when eta ~ N(mu, 1): category probabilities of the probit model."""
    spread = np.sqrt(_ITEM_NOISE_SD**2 + 1.0)
    upper = np.append(norm.cdf((model.thresholds - model.orient * mu) / spread), 1.0)
    probs = np.diff(np.concatenate([[0.0], upper]))
    return float(np.dot(probs, model.scored))


def _expected_scale(scale, mu: float, params: dict) -> float:
    e = [_expected_item(mu, params[i]) for i in scale.items]
    return float(np.mean(e) if scale.method == "mean" else np.sum(e))


def _draw_items(eta: np.ndarray, inst: Instrument, params: dict, rng: np.random.Generator,
                scored: bool = False) -> dict[str, np.ndarray]:
    """Answers to every item of ``inst`` as delivered (or, with ``scored``, as scored)."""
    out = {}
    for item in inst.items:
        model = params[item.id]
        latent = model.orient * eta + rng.normal(0.0, _ITEM_NOISE_SD, size=eta.shape)
        category = np.searchsorted(model.thresholds, latent)
        out[item.id] = (model.scored if scored else model.answers)[category]
    return out


def _person_parts(rng: np.random.Generator, n: int, k: int, var: float = _PERSON_VAR,
                  skew: float = 0.0) -> np.ndarray:
    cov = np.full((k, k), var * _PERSON_CORR)
    cov += np.eye(k) * var * (1 - _PERSON_CORR)
    if skew == 0:
        return rng.multivariate_normal(np.zeros(k), cov, size=n, method="cholesky")
    shape = 4.0 / (skew * skew)  # a gamma with this shape has skewness ``skew``
    z = (rng.gamma(shape, 1.0, size=(n, k)) - shape) / np.sqrt(shape)
    return z @ np.linalg.cholesky(cov).T


def _simulate_group(s, rng, instruments, params, mus, n, site_index, person_var=_PERSON_VAR):
    k = len(instruments)
    u = _person_parts(rng, n, k, person_var, s.skew)
    starts_late = rng.random(n) < s.non_starter_share
    waves = []
    wave_list = s.waves
    for w in range(len(wave_list)):
        eta = mus[w] + u + rng.normal(0.0, np.sqrt(1.0 - person_var), size=(n, k))
        items = {}
        for j, inst in enumerate(instruments):
            items.update(_draw_items(eta[:, j], inst, params, rng))
        waves.append(pd.DataFrame(items))
    # composite of the observed baseline answers (scored direction), standardised
    composite = np.zeros(n)
    for inst in instruments:
        cols = waves[0][list(inst.item_ids)].to_numpy(dtype=float, copy=True)
        for j, item in enumerate(inst.items):
            model = params[item.id]
            scored = model.scored[np.searchsorted(model.answers, cols[:, j])]
            cols[:, j] = model.sign * (scored - scored.mean()) / (scored.std() or 1.0)
        score = cols.mean(axis=1)
        composite += (score - score.mean()) / (score.std() or 1.0)
    z = (composite - composite.mean()) / (composite.std() or 1.0)
    in_t0 = ~starts_late
    if s.dropout is not None:
        retention = [1.0 - d for d in s.dropout]
    else:
        retention = [s.retention_post] + [s.retention_follow_up] * (len(wave_list) - 2)
    stay = rng.random(n) < expit(logit(retention[0]) + s.dropout_slope * z)
    present = [in_t0, np.where(in_t0, stay, True)]
    for w in range(2, len(wave_list)):
        p_follow = np.where(present[-1],
                            expit(logit(retention[w - 1]) + s.dropout_slope * z),
                            s.return_share)
        present.append(rng.random(n) < p_follow)
    if s.fast:
        return _fast_blocks(s, rng, waves, present, wave_list, z)
    blocks = []
    for w, (wave_id, _, (start, end), _) in enumerate(wave_list):
        rows = np.flatnonzero(present[w])
        frame = waves[w].iloc[rows].reset_index(drop=True).astype("float64")
        blank = rng.random(frame.shape) < s.item_missing
        dont_know = ~blank & (rng.random(frame.shape) < s.dont_know)
        values = frame.to_numpy(copy=True)
        values[blank] = np.nan
        values[dont_know] = 9.0
        frame = pd.DataFrame(values, columns=frame.columns)
        t0 = pd.Timestamp(start)
        span = (pd.Timestamp(end) - t0).total_seconds() + 14 * 3600  # 08:00 to 22:00
        seconds = rng.integers(0, int(span), size=len(rows))
        meta = pd.DataFrame({
            "_person": rows,
            "wave": wave_id,
            "submitted_at": (t0 + pd.Timedelta(hours=8) + pd.to_timedelta(seconds, unit="s"))
            .floor("min"),
            "duration_min": np.round(rng.lognormal(np.log(12.0), 0.35, size=len(rows)), 1),
        })
        blocks.append(pd.concat([meta, frame], axis=1))
    person = _person_attributes(rng, n, site_index)
    for w, (wave_id, *_rest) in enumerate(wave_list):
        person[f"in_{wave_id}"] = present[w]
    person["z_baseline"] = np.round(z, 6)
    attributes = list(IDENTIFIER_COLUMNS + SUBGROUP_COLUMNS)
    for i, frame in enumerate(blocks):
        attrs = person[attributes].iloc[frame["_person"].to_numpy()].reset_index(drop=True)
        blocks[i] = pd.concat([frame.iloc[:, :4], attrs, frame.iloc[:, 4:]], axis=1)
    return blocks, person


def _fast_blocks(s, rng, waves, present, wave_list, z):
    """Answers per wave without submission times or identifiers (``fast``)."""
    blocks = []
    for w, (wave_id, *_rest) in enumerate(wave_list):
        rows = np.flatnonzero(present[w])
        values = waves[w].to_numpy(dtype="float64")[rows]
        if s.item_missing or s.dont_know:
            blank = rng.random(values.shape) < s.item_missing
            dont_know = ~blank & (rng.random(values.shape) < s.dont_know)
            values[blank] = np.nan
            values[dont_know] = 9.0
        frame = pd.DataFrame(values, columns=waves[w].columns)
        frame.insert(0, "_person", rows)
        frame.insert(1, "wave", wave_id)
        blocks.append(frame)
    person = pd.DataFrame({f"in_{wave_id}": present[w]
                           for w, (wave_id, *_rest) in enumerate(wave_list)})
    person["z_baseline"] = np.round(z, 6)
    return blocks, person


def _person_attributes(rng: np.random.Generator, n: int, site_index: int) -> pd.DataFrame:
    first = rng.choice(_FIRST, size=n)
    last = rng.choice(_LAST, size=n)
    age = rng.integers(18, 86, size=n)
    birth = pd.Timestamp("2024-09-01") - pd.to_timedelta(
        age * 365.25 + rng.integers(0, 365, size=n), unit="D")
    band = np.select([(age >= lo) & (age <= hi) for lo, hi, _ in _AGE_BANDS],
                     [label for *_, label in _AGE_BANDS], default="")
    letters = np.array(list("ABCDEGHJKLMNPRSTVWXZ"))
    prefix = _POSTCODE_PREFIX[site_index % len(_POSTCODE_PREFIX)]
    return pd.DataFrame({
        "name": [f"{f} {s}" for f, s in zip(first, last, strict=True)],
        "email": [f"{f.lower()}.{s.lower().replace(' ', '')}{k}@example.org".translate(_ASCII)
                  for k, (f, s) in enumerate(zip(first, last, strict=True))],
        "phone": [f"06-{v:08d}" for v in rng.integers(10**7, 10**8, size=n)],
        "postcode": [f"{prefix + int(d)} {a}{b}" for d, a, b in zip(
            rng.integers(0, 9, size=n), rng.choice(letters, n), rng.choice(letters, n),
            strict=True)],
        "birth_date": birth.floor("D"),
        "gender": rng.choice(["vrouw", "man", "anders", "zeg ik liever niet"], size=n,
                             p=[0.52, 0.44, 0.02, 0.02]),
        "age_band": band,
    })


_ASCII = str.maketrans("ëïöüéáçÖÉ", "eioueacOE")


def _add_duplicates(responses: pd.DataFrame, s, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A few respondents submit twice within a wave: a later copy with some answers changed."""
    extra, record = [], []
    meta = ("respondent_id", "site", "group", "wave", "submitted_at", "duration_min",
            *IDENTIFIER_COLUMNS, *SUBGROUP_COLUMNS)
    item_cols = [c for c in responses.columns if c not in meta]
    for (wave, site), block in responses.groupby(["wave", "site"], sort=True):
        if rng.random() >= s.duplicate_share:
            continue
        row = block.iloc[[int(rng.integers(len(block)))]].copy()  # one-row frame keeps dtypes
        row["submitted_at"] += pd.Timedelta(minutes=int(rng.integers(5, 90)))
        for col in rng.choice(item_cols, size=3, replace=False):
            value = row[col].iloc[0]
            if not np.isnan(value) and value != 9:
                valid = block[col][block[col] != 9]
                row[col] = float(np.clip(value + rng.choice([-1, 1]), valid.min(), valid.max()))
        extra.append(row)
        record.append({"respondent_id": row["respondent_id"].iloc[0], "site": site, "wave": wave})
    out = pd.concat([responses, *extra], ignore_index=True) if extra else responses
    return out, pd.DataFrame(record, columns=["respondent_id", "site", "wave"])


def _truth_rows(site_id, instruments, params, mus, deltas, rng, n_treated, waves=DEMO_WAVES,
                treated=GROUPS[0]):
    rows = []
    control = GROUPS[1]
    for j, inst in enumerate(instruments):
        for scale in inst.scales:
            sign = -1.0 if scale.direction == "higher_is_worse" else 1.0
            sd = _mc_sd(scale, inst, params, [mus[treated][0][j], mus[control][0][j]], rng)
            for w, (wave_id, role, _, _) in enumerate(waves):
                if role == "baseline":
                    continue
                mu_t = mus[treated][w][j]
                att = _expected_scale(scale, mu_t, params) - _expected_scale(
                    scale, mu_t - deltas[w][j], params)
                rows.append({
                    "site": site_id, "protective_factor": inst.protective_factor,
                    "instrument": inst.id, "scale": scale.id, "wave": wave_id,
                    "effect_latent": float(sign * deltas[w][j]), "att_score": att,
                    "sd_baseline": sd, "d_score": att / sd, "n_treated": n_treated,
                })
    return rows


def _mc_sd(scale, inst, params, mus_baseline, rng, draws: int = 20000) -> float:
    """SD of the scale score at baseline, both groups pooled equally, by Monte Carlo."""
    eta = np.concatenate([rng.normal(m, 1.0, size=draws // 2) for m in mus_baseline])
    items = _draw_items(eta, inst, params, rng, scored=True)
    matrix = np.column_stack([items[i] for i in scale.items])
    score = matrix.mean(axis=1) if scale.method == "mean" else matrix.sum(axis=1)
    return float(np.std(score, ddof=1))


def _mean_rows(site_id, instruments, params, mus, waves=DEMO_WAVES, groups=GROUPS):
    rows = []
    for group in groups:
        for w, (wave_id, *_rest) in enumerate(waves):
            for j, inst in enumerate(instruments):
                for scale in inst.scales:
                    rows.append({"site": site_id, "group": group, "wave": wave_id,
                                 "scale": scale.id,
                                 "expected_mean": _expected_scale(scale, mus[group][w][j], params)})
    return rows


def _with_overall(truth: pd.DataFrame) -> pd.DataFrame:
    keys = ["group"] * ("group" in truth.columns) + ["protective_factor", "instrument",
                                                      "scale", "wave"]

    def weighted(block: pd.DataFrame) -> pd.Series:
        w = block["n_treated"] / block["n_treated"].sum()
        return pd.Series({c: float((block[c] * w).sum()) for c in
                          ("effect_latent", "att_score", "sd_baseline", "d_score")}
                         | {"n_treated": int(block["n_treated"].sum())})

    overall = truth.groupby(keys, sort=False)[
        ["effect_latent", "att_score", "sd_baseline", "d_score", "n_treated"]
    ].apply(weighted).reset_index()
    overall.insert(0, "site", "all")
    out = pd.concat([truth, overall[truth.columns]], ignore_index=True)
    out["n_treated"] = out["n_treated"].astype("int64")
    return out

