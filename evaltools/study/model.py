"""The study as data: waves, sites, groups, the data layout, reports and the Study itself.

Frozen dataclasses built by :mod:`evaltools.study.checks` from a checked ``study.yml``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from evaltools.core.errors import OutputLocationError, Problem
from evaltools.core.text import Language, LocalText
from evaltools.instruments.model import Instrument

__all__ = ["Study", "Wave", "Site", "Group", "DataSpec", "FileRule", "ItemValues", "Subgroup",
           "ReportSpec", "FILE_FORMATS",
           "EvidenceSpec", "AnalysisSpec", "PRIMARY_DEFAULT", "STUDY_FILE",
           "DEFAULT_MIN_CELL_SIZE", "UNPAIRED_DESIGNS", "UNPAIRED_TEMPLATES", "TEMPLATES",
           "REPORT_FORMATS", "REPORT_FORMAT_PACKAGES"]

STUDY_FILE = "study.yml"
DEFAULT_MIN_CELL_SIZE = 10
#: Formats a report can be written in (``reports.formats``); ``html`` is always written.
REPORT_FORMATS = ("html", "pdf", "docx")
#: The Python module (and the package that installs it) each further format needs.
REPORT_FORMAT_PACKAGES = {"pdf": ("weasyprint", "weasyprint"),
                          "docx": ("pypandoc", "pypandoc-binary")}
#: Report templates a study may ask for, and whether each needs a comparison group.
TEMPLATES: dict[str, bool] = {
    "data_quality": False,
    "prepost": False,
    "controlled": True,
    "site_overview": False,
    "site_synthesis": False,
}

#: The templates that apply to a repeated cross-section (no pairs, flow or reliable change).
UNPAIRED_TEMPLATES = ("data_quality", "controlled")

Design = Literal["pre_post", "controlled", "randomised", "repeated_cross_section"]
#: Designs whose waves survey different respondents: nothing is paired across waves.
UNPAIRED_DESIGNS = ("repeated_cross_section",)
WaveRole = Literal["baseline", "post", "follow_up"]


@dataclass(frozen=True)
class Wave:
    """A measurement occasion. ``order`` sorts waves; ``role`` says what it is for."""

    id: str
    order: int
    role: WaveRole
    label: LocalText
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class Site:
    """A place where the intervention runs, e.g. a municipality or a focus area."""

    id: str
    name: str
    municipality: str | None = None


@dataclass(frozen=True)
class Group:
    """A study arm: the intervention group or a comparison group."""

    id: str
    role: Literal["intervention", "comparison"]
    label: LocalText


#: How wave files may be exported: a plain table, or a survey platform's own export.
FILE_FORMATS = ("table", "qualtrics", "limesurvey")


@dataclass(frozen=True)
class FileRule:
    """Which raw files to read (a glob under ``raw_dir``) and what they hold.

    ``format`` says how they were exported (:data:`FILE_FORMATS`): ``qualtrics`` and
    ``limesurvey`` files are read as the platform delivers them
    (:mod:`evaltools.data.platforms`).
    """

    pattern: str
    wave: str | None = None
    site: str | None = None
    sheet: str | int | None = None
    format: str = "table"


@dataclass(frozen=True)
class ItemValues:
    """How a file codes one item's answers (``data.values``): ``codes`` maps a code or an
    answer text (matched without regard to case) to the item value, ``labels`` accepts the
    instrument's own answer texts in Dutch or English, ``shift`` is added to every other
    number; ``entry`` is the ``data.values`` key it came from (an instrument or item id)."""

    shift: int = 0
    codes: dict[str, float] = field(default_factory=dict)
    labels: bool = False
    entry: str = ""


@dataclass(frozen=True)
class DataSpec:
    """Where a study's wave files are and how their columns map onto the definition."""

    raw_dir: Path
    files: tuple[FileRule, ...]
    respondent_id: str
    site_column: str | None
    group_column: str | None
    wave_column: str | None
    submitted_at: str | None
    item_columns: dict[str, str]
    renames: dict[str, dict[str, str]]
    identifiers: tuple[str, ...]
    ignore: tuple[str, ...] = ()
    csv_delimiter: str = "auto"
    csv_decimal: str = ","
    csv_encoding: str = "auto"
    duplicates: Literal["keep_last", "keep_first", "error"] = "keep_last"
    #: per item id: how the files code its answers (``data.values``, resolved per item)
    values: dict[str, ItemValues] = field(default_factory=dict)
    #: ``data.recode``: per role (site, group, wave), a file's code or value label -> the id
    recode: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Subgroup:
    """A variable to break results down by (e.g. gender, age band)."""

    column: str
    label: LocalText
    values: tuple[str | int, ...] | None = None


@dataclass(frozen=True)
class ReportSpec:
    """One kind of report to produce: a template, per site or for the study, for some waves."""

    template: str
    per: Literal["site", "study"]
    waves: tuple[str, ...]
    sites: tuple[str, ...]


@dataclass(frozen=True)
class EvidenceSpec:
    """What the user declares for the evidence classification, and where results go.

    evaltools cannot judge a description or a theory of change: the first two rungs of the
    Dutch recognition ladder are declared here (see :mod:`evaltools.analysis.evidence`).
    """

    well_described: bool = False
    well_founded: bool = False
    relevant_effect: float = 0.2
    attrition_boundary: Literal["cautious", "optimistic"] = "cautious"
    randomised_counts: dict[str, int] | None = None
    register: str | None = None
    organisation: str | None = None


#: The between-group estimator a design's reports lead with, unless study.yml says otherwise.
PRIMARY_DEFAULT: dict[str, str] = {"randomised": "ancova", "controlled": "diff_in_diff",
                                   "pre_post": "within_change",
                                   "repeated_cross_section": "diff_in_diff"}


@dataclass(frozen=True)
class AnalysisSpec:
    """How results are estimated: ``primary`` is the estimator reports lead with (None: the
    design's default, :data:`PRIMARY_DEFAULT`); ``cluster`` is the panel column whose values
    are the clusters for cluster-robust standard errors (None: ``site``); ``covariates`` the
    baseline covariates every between-group model adjusts for."""

    primary: Literal["ancova", "diff_in_diff"] | None = None
    cluster: str | None = None
    #: Baseline covariates (wave-file columns such as age, gender, neighbourhood) that ANCOVA
    #: and difference in differences adjust for; personal data, never shown one by one.
    covariates: tuple[str, ...] = ()
    #: The categorical covariates: declared ``type: categorical`` (a neighbourhood code), or
    #: subgroup columns; ingested as codes.
    factor_covariates: tuple[str, ...] = ()
    #: The numeric covariates (every other one): a value that is not a number is left empty,
    #: with a warning.
    numeric_covariates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Study:
    """A validated study definition. Build it with :func:`load_study`."""

    folder: Path
    id: str
    title: LocalText
    intervention: str
    protective_factors: tuple[str, ...]
    design: Design
    groups: tuple[Group, ...]
    waves: tuple[Wave, ...]
    sites: tuple[Site, ...]
    instruments: tuple[Instrument, ...]
    data: DataSpec
    subgroups: tuple[Subgroup, ...]
    min_cell_size: int
    language: Language
    reports: tuple[ReportSpec, ...]
    key_env: str | None = None
    key_file: Path | None = None
    evidence: EvidenceSpec = field(default_factory=EvidenceSpec)
    analysis: AnalysisSpec = field(default_factory=AnalysisSpec)
    #: The ``planning:`` section as written (checked by ``evaltools plan``).
    planning: dict | None = field(default=None, compare=False)
    #: formats every report is written in (``reports.formats``); ``html`` always
    report_formats: tuple[str, ...] = ("html",)
    #: whether ``reports`` is the design's default set (``reports.produce`` absent)
    reports_default: bool = False
    warnings: tuple[Problem, ...] = field(default=(), compare=False)

    @property
    def store_dir(self) -> Path:
        """Where ingested, pseudonymised data and ingestion reports are kept."""
        return self.folder / "store"

    def check_output_folder(self, path: str | Path, what: str = "reports folder") -> None:
        """Refuse an output folder that overlaps the raw data folder.

        Raises
        ------
        OutputLocationError
            If ``path`` lies inside ``data.raw_dir`` or holds it: evaltools replaces and removes
            files in its output folders, and raw files must never be changed or deleted.
        """
        out, raw = Path(path).resolve(), self.data.raw_dir.resolve()
        if out == raw or raw in out.parents or out in raw.parents:
            raise OutputLocationError(
                f"the {what} {path} overlaps the raw data folder of study {self.id!r} "
                f"({self.data.raw_dir}); evaltools will not write there, because raw files "
                "must never be changed or deleted. Choose a folder outside the raw data.")

    @property
    def baseline(self) -> Wave:
        """The baseline wave."""
        return next(w for w in self.waves if w.role == "baseline")

    def wave(self, wave_id: str) -> Wave:
        """The wave with id ``wave_id``."""
        for wave in self.waves:
            if wave.id == wave_id:
                return wave
        raise KeyError(f"study {self.id!r} has no wave {wave_id!r}; waves: "
                       + ", ".join(w.id for w in self.waves))

    @property
    def primary_method(self) -> str:
        """The estimator that reports lead with: ``ancova`` or ``diff_in_diff`` where there is a
        comparison group (``analysis.primary``, else the design's default), ``within_change``
        for a pre-post design."""
        if not self.has_comparison:
            return "within_change"
        return self.analysis.primary or PRIMARY_DEFAULT.get(self.design, "diff_in_diff")

    @property
    def paired(self) -> bool:
        """Whether respondents are followed across waves (False for a repeated cross-section,
        where every wave surveys different people: no pairing, reliable change or flow)."""
        return self.design not in UNPAIRED_DESIGNS

    @property
    def has_comparison(self) -> bool:
        """Whether the design has a comparison group."""
        return any(g.role == "comparison" for g in self.groups)

    def arms(self, role: str) -> tuple[str, ...]:
        """The ids of the groups with ``role`` (``intervention`` or ``comparison``), in the
        order study.yml declares them."""
        return tuple(g.id for g in self.groups if g.role == role)

    @property
    def contrasts(self) -> tuple[tuple[str, str], ...]:
        """Every (intervention arm, comparison arm) pair the study reports, intervention arms
        first, in declared order; empty for a design without a comparison group. No arm is
        left out: with two intervention arms and one comparison there are two contrasts."""
        return tuple((i, c) for i in self.arms("intervention") for c in self.arms("comparison"))

    @property
    def item_ids(self) -> tuple[str, ...]:
        """All item ids of the study's instruments, in order."""
        return tuple(i for inst in self.instruments for i in inst.item_ids)
