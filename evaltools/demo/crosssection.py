"""A repeated cross-sectional demo study: a neighbourhood monitor.

The same model as :mod:`evaltools.demo.simulate`, drawn as a neighbourhood or youth monitor
delivers it: whole neighbourhoods (the sites) take part as intervention or comparison
neighbourhoods, and every wave surveys a *new* sample of residents, so nobody can be linked
from one wave to the next. It is drawn with (almost) no stable person part
(``r_pre_post = 0.01``: one wave's answers say next to nothing about another wave's; the
simulator needs a positive value), nobody dropping out and nobody starting late, and then
each wave's respondents get numbers of their own.

``evaltools demo DIR --design repeated_cross_section`` writes it in the demo's folder layout
(:func:`evaltools.demo.files.generate_demo_study`), with ``design: repeated_cross_section``
and ``analysis.cluster: site`` in its study.yml.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from evaltools.demo.simulate import SimulatedStudy

__all__ = ["CROSS_SECTION_DESIGN", "CROSS_SECTION_SETTINGS", "as_cross_section",
           "is_cross_section"]

#: The design name in study.yml.
CROSS_SECTION_DESIGN = "repeated_cross_section"

#: Simulation settings of a neighbourhood monitor (any of them can be overridden).
CROSS_SECTION_SETTINGS: dict = {
    "n_sites": 8,                  # neighbourhoods: the first half intervention neighbourhoods
    "assignment": "whole_site",
    "r_pre_post": 0.01,            # (nearly) independent samples: almost no person part
    "dropout": (0.0, 0.0),         # every wave the same sample size ...
    "non_starter_share": 0.0,      # ... and no late starters
    "return_share": 0.0,
}

#: Respondent numbers of wave k start at ``k * WAVE_NUMBERING`` above the simulator's.
WAVE_NUMBERING = 1_000_000


def is_cross_section(sim: SimulatedStudy) -> bool:
    """Whether a simulated study is a repeated cross-section (from :func:`as_cross_section`)."""
    return sim.settings.design == CROSS_SECTION_DESIGN


def as_cross_section(sim: SimulatedStudy) -> SimulatedStudy:
    """The simulated study with different respondents at every wave.

    Parameters
    ----------
    sim : SimulatedStudy
        Drawn with :data:`CROSS_SECTION_SETTINGS` (independent persons at every wave).

    Returns
    -------
    SimulatedStudy
        ``settings.design = "repeated_cross_section"``; ``responses`` and ``duplicates`` with a
        new respondent number per wave; ``participants`` one row per respondent and wave, each
        measured at that wave only. The truth (effects, expected means) is unchanged: the
        expected means per neighbourhood, group and wave do not depend on who is surveyed.

    Examples
    --------
    >>> from evaltools.demo.simulate import simulate_study
    >>> sim = as_cross_section(simulate_study(seed=3, size=(20, 30), fast=True,
    ...                                       **CROSS_SECTION_SETTINGS))
    >>> int(sim.responses.groupby("respondent_id")["wave"].nunique().max())
    1
    """
    waves = [w[0] for w in sim.settings.waves]
    offset = {w: k * WAVE_NUMBERING for k, w in enumerate(waves)}

    def renumber(frame: pd.DataFrame) -> pd.DataFrame:
        ids = frame["respondent_id"].astype(int) + frame["wave"].map(offset).astype(int)
        return frame.assign(respondent_id=ids.astype(str))

    people = []
    for wave in waves:
        flag = f"in_{wave}"
        present = sim.participants[sim.participants[flag]].copy()
        for other in waves:
            present[f"in_{other}"] = other == wave
        present["wave"] = wave
        people.append(renumber(present).drop(columns="wave"))
    return replace(sim, settings=replace(sim.settings, design=CROSS_SECTION_DESIGN),
                   responses=renumber(sim.responses), duplicates=renumber(sim.duplicates),
                   participants=pd.concat(people, ignore_index=True))
