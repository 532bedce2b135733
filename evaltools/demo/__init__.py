"""The synthetic demo study: simulating respondents under known effects and writing the study
folder (wave files in CSV, Excel and SPSS, ``study.yml``, the truth) as an agency delivers it.

May import from core, instruments and study.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.demo.files": ["generate_demo_study", "DemoStudy", "is_demo_study"],
    "evaltools.demo.layout": ["GENERATOR", "FILE_COLUMNS", "FOLLOW_UP_RENAMES", "SITE_FORMATS"],
    "evaltools.demo.simulate": ["SimulationSettings", "SimulatedStudy", "simulate_study",
        "DEMO_SITES"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
