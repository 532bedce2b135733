"""Survey instruments as data: the library in ``surveys/``, its checks, scoring scales from
items, reliability, and codebooks.

May import from :mod:`evaltools.core` only.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.instruments.codebook": ["render_codebook", "write_codebook"],
    "evaltools.instruments.library": ["library_dir", "load_instrument", "find_instruments",
        "get_instrument"],
    "evaltools.instruments.model": ["Direction", "ResponseScale", "Item", "Category", "Cutoffs",
        "Conversion", "Norm", "ReliableChange", "Scale", "Instrument"],
    "evaltools.instruments.reliability": ["cronbach_alpha", "omega_total", "reliability",
        "item_analysis", "RELIABILITY_COLUMNS", "ITEM_COLUMNS"],
    "evaltools.instruments.agreement": ["icc", "ICC_COLUMNS", "ICC_TYPES", "IccError"],
    "evaltools.instruments.scoring": ["score_scales", "score_table", "scored_items",
        "flag_inconsistent", "ScoringError", "SCORE_COLUMNS", "INCONSISTENCY_COLUMNS"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
