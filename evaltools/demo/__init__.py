"""The synthetic demo study: simulating respondents under known effects and writing the study
folder (wave files in CSV, Excel and SPSS, ``study.yml``, the truth) as an agency delivers it.

May import from core, instruments and study.
"""

from evaltools.demo.files import DemoStudy, generate_demo_study, is_demo_study
from evaltools.demo.layout import FILE_COLUMNS, FOLLOW_UP_RENAMES, GENERATOR, SITE_FORMATS
from evaltools.demo.simulate import DEMO_SITES, SimulatedStudy, SimulationSettings, simulate_study

__all__ = [
    "SimulationSettings",
    "SimulatedStudy",
    "simulate_study",
    "DEMO_SITES",
    "generate_demo_study",
    "DemoStudy",
    "is_demo_study",
    "GENERATOR",
    "FILE_COLUMNS",
    "FOLLOW_UP_RENAMES",
    "SITE_FORMATS",
]
