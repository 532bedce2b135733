"""The linear mixed model engine: profiled (RE)ML and penalised least squares as in lme4.

``model`` builds the arrays (response, fixed design, random terms), ``fit`` fits them
(``coupling`` holds the respondent-by-site blocks of the nested and crossed terms),
``inference`` gives fixed-effect tests with Satterthwaite df (as lmerTest), variance components
with the ICC per level and likelihood-ratio tests. The user-facing evaluation model is
:func:`evaltools.analysis.effects.mixed_model`, which builds on this engine.

Part of the analysis layer: may import from core (and numpy/scipy); nothing else in evaltools.
"""

from evaltools.analysis.lmm.fit import LmmFit, fit_lmm
from evaltools.analysis.lmm.inference import (
    FIXED_COLUMNS,
    LRT_COLUMNS,
    VARIANCE_COLUMNS,
    fixed_effects,
    likelihood_ratio_test,
    satterthwaite,
    variance_components,
)
from evaltools.analysis.lmm.model import LmmError, ModelData, RandomEffect, build_model

__all__ = ["LmmFit", "fit_lmm", "FIXED_COLUMNS", "LRT_COLUMNS", "VARIANCE_COLUMNS",
           "fixed_effects", "likelihood_ratio_test", "satterthwaite", "variance_components",
           "LmmError", "ModelData", "RandomEffect", "build_model"]
