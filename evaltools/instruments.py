"""Survey instruments as data: finding, reading and checking the definitions in ``surveys/``.

An instrument file describes one version of a questionnaire: its response scales (values,
Dutch and English labels, and missing codes such as "weet niet" = 9), its items (which response
scale, reverse keying or another recode, and item text only where the licence allows shipping
it) and the scales scored from them (items, mean or sum, the minimum number of valid answers,
an optional conversion to another metric, cut-offs, norms, the SD and reliability to use for
reliable change, and whether a higher score is better or worse).

Each file is checked against ``evaltools/schemas/instrument.schema.json`` and then against the
rules that tie its parts together (see :func:`load_instrument`); every problem is reported at
once with the file, the line and the key path.

The library shipped with evaltools lives in the repository's ``surveys/`` folder (inside the
wheel as ``evaltools/_library/surveys``); a study may add its own instruments in a ``surveys/``
folder beside its ``study.yml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np

from evaltools._instrument_checks import check_instrument
from evaltools._schema import schema_problems
from evaltools._yamlio import read_yaml
from evaltools.errors import InstrumentDefinitionError, Problem
from evaltools.text import LocalText

__all__ = [
    "Instrument",
    "Item",
    "ResponseScale",
    "Scale",
    "Cutoffs",
    "library_dir",
    "load_instrument",
    "find_instruments",
    "get_instrument",
]

Direction = Literal["higher_is_better", "higher_is_worse"]


@dataclass(frozen=True)
class ResponseScale:
    """Allowed answers of an item: ordered ``values``, their ``labels``, and missing codes."""

    id: str
    values: tuple[int, ...]
    labels: dict[int, LocalText]
    missing: dict[int, LocalText]

    @property
    def low(self) -> int:
        """The lowest substantive value."""
        return min(self.values)

    @property
    def high(self) -> int:
        """The highest substantive value."""
        return max(self.values)


@dataclass(frozen=True)
class Item:
    """One question: its id (also its column name), response scale and how it is scored."""

    id: str
    response_scale: str
    reverse: bool = False
    recode: dict[int, float] | None = None
    text: LocalText | None = None


@dataclass(frozen=True)
class Category:
    """A cut-off category: scores from ``lower`` (inclusive) up to the next category's."""

    id: str
    label: LocalText
    lower: float


@dataclass(frozen=True)
class Cutoffs:
    """Categories of a score, applied to the ``raw`` or the ``converted`` score."""

    on: Literal["raw", "converted"]
    source: str
    categories: tuple[Category, ...]


@dataclass(frozen=True)
class Conversion:
    """A raw-to-metric conversion: a lookup ``table`` or ``raw * multiply + add``."""

    label: LocalText
    source: str
    table: dict[float, float] | None = None
    multiply: float = 1.0
    add: float = 0.0


@dataclass(frozen=True)
class Norm:
    """A reference population's mean and SD of a scale."""

    population: str
    mean: float
    sd: float
    source: str
    n: int | None = None


@dataclass(frozen=True)
class ReliableChange:
    """The SD and reliability to use for reliable change (Jacobson & Truax 1991)."""

    sd: float
    reliability: float
    source: str


@dataclass(frozen=True)
class Scale:
    """A score computed from items.

    ``method="mean"`` averages the answered items; ``"sum"`` adds them, scaled up to all items
    when some are missing (``prorate=True``) or not (``prorate=False``). A respondent with
    fewer than ``min_valid`` answered items gets no score.
    """

    id: str
    label: LocalText
    items: tuple[str, ...]
    method: Literal["mean", "sum"]
    min_valid: int
    direction: Direction
    prorate: bool = True
    range: tuple[float, float] | None = None
    conversion: Conversion | None = None
    cutoffs: Cutoffs | None = None
    norms: tuple[Norm, ...] = ()
    reliable_change: ReliableChange | None = None


@dataclass(frozen=True)
class Instrument:
    """One version of a survey instrument, read from a file in ``surveys/``."""

    id: str
    version: str
    title: LocalText
    construct: LocalText
    protective_factor: str
    level: Literal["individual", "community", "society"]
    citation: str
    licence: str
    items_shippable: bool
    validated: bool
    response_scales: dict[str, ResponseScale]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    source: str
    licence_url: str | None = None
    source_url: str | None = None
    notes: LocalText | None = None
    _item_index: dict[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def item(self, item_id: str) -> Item:
        """The item called ``item_id``."""
        if not self._item_index:
            self._item_index.update({i.id: i for i in self.items})
        try:
            return self._item_index[item_id]
        except KeyError:
            raise KeyError(f"instrument {self.id!r} has no item {item_id!r}") from None

    def scale(self, scale_id: str) -> Scale:
        """The scale called ``scale_id``."""
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(f"instrument {self.id!r} has no scale {scale_id!r}; scales: "
                       + ", ".join(s.id for s in self.scales))

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Item ids in questionnaire order."""
        return tuple(item.id for item in self.items)

    def scored_values(self, item_id: str) -> tuple[np.ndarray, np.ndarray]:
        """An item's answer values and the scored value of each (after keying/recoding)."""
        item = self.item(item_id)
        rs = self.response_scales[item.response_scale]
        answers = np.array(rs.values, dtype=float)
        if item.recode is not None:
            return answers, np.array([item.recode[int(v)] for v in answers], dtype=float)
        if item.reverse:
            return answers, rs.low + rs.high - answers
        return answers, answers.copy()


def library_dir() -> Path:
    """The folder of instruments shipped with evaltools.

    A source checkout reads the repository's ``surveys/``; an installed wheel carries a copy in
    ``evaltools/_library/surveys``.
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "_library" / "surveys", here.parent / "surveys"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "the evaltools instrument library (surveys/) is missing from this install")


def load_instrument(path: str | Path, display: str | None = None) -> Instrument:
    """Read and check one instrument file.

    Parameters
    ----------
    path : str or Path
        A ``.yml`` file in the instrument format (see ``surveys/README.md``).
    display : str, optional
        How to name the file in messages (default: its name).

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentDefinitionError
        Listing every problem in the file: its shape against the JSON Schema, and the rules
        between its parts (a scale naming an unknown item, an item naming an unknown response
        scale, duplicate ids, reverse keying on a response scale that is not symmetric, a recode
        of a value the scale does not have, item text where the licence forbids shipping it, a
        stated range that differs from the items', a conversion table that misses a raw score,
        cut-offs out of order).

    Examples
    --------
    >>> brs = load_instrument(library_dir() / "brs.yml")
    >>> [item.id for item in brs.items if item.reverse]
    ['brs_2', 'brs_4', 'brs_6']
    """
    path = Path(path)
    name = display or path.name
    doc = read_yaml(path, name)
    if doc.problems:
        raise InstrumentDefinitionError(f"instrument {name}", doc.problems)
    if not isinstance(doc.data, dict):
        raise InstrumentDefinitionError(f"instrument {name}", [
            Problem(name, "(top level)", "expected a mapping of keys", found=doc.data, line=1)])
    problems = schema_problems(doc, "instrument")
    instrument, more = check_instrument(doc, problems)
    problems.extend(more)
    if instrument is None or any(p.severity == "error" for p in problems):
        raise InstrumentDefinitionError(f"instrument {name}", problems)
    return instrument


def find_instruments(extra_dirs: Iterable[Path] = ()) -> dict[str, list[Instrument]]:
    """All instruments in the library and in ``extra_dirs``, by id (versions oldest first).

    Raises
    ------
    InstrumentDefinitionError
        If any instrument file is broken, or two files define the same id and version: every
        problem in every file at once.
    """
    found: dict[str, list[Instrument]] = {}
    problems: list[Problem] = []
    for folder in [library_dir(), *extra_dirs]:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yml")):
            try:
                inst = _load_cached(path.resolve(), path.stat().st_mtime_ns)
            except InstrumentDefinitionError as exc:
                problems.extend(exc.problems)
                continue
            same = [v for v in found.get(inst.id, []) if v.version == inst.version]
            if same:
                problems.append(Problem(inst.source, "id", f"instrument {inst.id!r} version "
                                        f"{inst.version!r} is also defined in {same[0].source}",
                                        found=inst.id, line=1))
                continue
            found.setdefault(inst.id, []).append(inst)
    if problems:
        raise InstrumentDefinitionError("instrument library", problems)
    for versions in found.values():
        versions.sort(key=lambda v: _version_key(v.version))
    return found


def get_instrument(instrument_id: str, version: str | None = None,
                   extra_dirs: Iterable[Path] = ()) -> Instrument:
    """One instrument by id (newest version unless ``version`` is given).

    Raises
    ------
    KeyError
        Naming the known ids (or versions).
    """
    return choose(find_instruments(extra_dirs), instrument_id, version)


def choose(library: dict[str, list[Instrument]], instrument_id: str,
           version: str | None = None) -> Instrument:
    """Pick an instrument from a library found by :func:`find_instruments`.

    Raises
    ------
    KeyError
        Naming the known ids (with a "did you mean") or the known versions.
    """
    from evaltools._schema import suggest

    if instrument_id not in library:
        raise KeyError(f"no instrument {instrument_id!r}{suggest(instrument_id, list(library))}"
                       "; known: " + ", ".join(sorted(library)))
    versions = library[instrument_id]
    if version is None:
        return versions[-1]
    for inst in versions:
        if inst.version == version:
            return inst
    raise KeyError(f"instrument {instrument_id!r} has no version {version!r}; versions: "
                   + ", ".join(v.version for v in versions))


@cache
def _load_cached(path: Path, mtime_ns: int) -> Instrument:
    return load_instrument(path, display=f"{path.parent.name}/{path.name}")


def _version_key(version: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                 for p in version.replace("-", ".").split("."))
