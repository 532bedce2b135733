"""The study definition (``study.yml``): its model, the rules that tie its sections together,
and loading it once into a :class:`Study` that the layers above pass on.

May import from :mod:`evaltools.core` and :mod:`evaltools.instruments`.
"""

from evaltools.study.load import as_study, check_study, load_study, study_file
from evaltools.study.model import (
    DEFAULT_MIN_CELL_SIZE,
    STUDY_FILE,
    TEMPLATES,
    DataSpec,
    EvidenceSpec,
    FileRule,
    Group,
    ReportSpec,
    Site,
    Study,
    Subgroup,
    Wave,
)

__all__ = [
    "Study",
    "Wave",
    "Site",
    "Group",
    "DataSpec",
    "FileRule",
    "Subgroup",
    "ReportSpec",
    "EvidenceSpec",
    "STUDY_FILE",
    "DEFAULT_MIN_CELL_SIZE",
    "TEMPLATES",
    "load_study",
    "check_study",
    "study_file",
    "as_study",
]
