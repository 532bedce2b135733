"""The study definition (``study.yml``): its model, the rules that tie its sections together,
and loading it once into a :class:`Study` that the layers above pass on.

May import from :mod:`evaltools.core` and :mod:`evaltools.instruments`.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.study.load": ["load_study", "check_study", "study_file", "as_study"],
    "evaltools.study.model": ["Study", "Wave", "Site", "Group", "DataSpec", "FileRule",
        "Subgroup", "ReportSpec", "EvidenceSpec", "STUDY_FILE", "DEFAULT_MIN_CELL_SIZE",
        "TEMPLATES"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
