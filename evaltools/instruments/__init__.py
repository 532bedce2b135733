"""Survey instruments as data: the library in ``surveys/``, its checks, scoring scales from
items, reliability, rater and cluster agreement (intraclass correlations), and codebooks.

May import from :mod:`evaltools.core` only.
"""

from evaltools.instruments.agreement import ICC_COLUMNS, IccError, icc
from evaltools.instruments.codebook import render_codebook, write_codebook
from evaltools.instruments.library import (
    find_instruments,
    get_instrument,
    library_dir,
    load_instrument,
)
from evaltools.instruments.model import (
    Category,
    Conversion,
    Cutoffs,
    Direction,
    Instrument,
    Item,
    Norm,
    ReliableChange,
    ResponseScale,
    Scale,
)
from evaltools.instruments.reliability import (
    ITEM_COLUMNS,
    RELIABILITY_COLUMNS,
    cronbach_alpha,
    item_analysis,
    omega_total,
    reliability,
)
from evaltools.instruments.scoring import (
    INCONSISTENCY_COLUMNS,
    SCORE_COLUMNS,
    ScoringError,
    flag_inconsistent,
    score_scales,
    score_table,
    scored_items,
)

__all__ = [
    "Direction",
    "ResponseScale",
    "Item",
    "Category",
    "Cutoffs",
    "Conversion",
    "Norm",
    "ReliableChange",
    "Scale",
    "Instrument",
    "library_dir",
    "load_instrument",
    "find_instruments",
    "get_instrument",
    "score_scales",
    "score_table",
    "scored_items",
    "flag_inconsistent",
    "ScoringError",
    "SCORE_COLUMNS",
    "INCONSISTENCY_COLUMNS",
    "cronbach_alpha",
    "omega_total",
    "reliability",
    "item_analysis",
    "RELIABILITY_COLUMNS",
    "ITEM_COLUMNS",
    "icc",
    "IccError",
    "ICC_COLUMNS",
    "render_codebook",
    "write_codebook",
]
