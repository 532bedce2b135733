"""The instrument as data: response scales, items, scales and the instrument itself.

Plain frozen dataclasses built by :mod:`evaltools.instruments.checks` from a checked file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

from evaltools.core.text import LocalText

__all__ = ["Direction", "ResponseKind", "ResponseScale", "Item", "Category", "Cutoffs",
           "Conversion", "Norm", "ReliableChange", "Scale", "Instrument", "as_instruments"]

Direction = Literal["higher_is_better", "higher_is_worse"]


#: Kinds of response scale: labelled answer codes, a number with decimals, a count.
ResponseKind = Literal["categorical", "numeric", "count"]


@dataclass(frozen=True)
class ResponseScale:
    """Allowed answers of an item: ordered ``values``, their ``labels``, and missing codes.

    A ``numeric`` or ``count`` scale (weight, days absent, a total score delivered as a number)
    has no labelled values: any number from ``minimum`` to ``maximum`` with at most
    ``decimals`` decimals (a count: whole numbers) is an answer.
    """

    id: str
    values: tuple[int, ...]
    labels: dict[int, LocalText]
    missing: dict[int, LocalText]
    kind: ResponseKind = "categorical"
    minimum: float | None = None
    maximum: float | None = None
    decimals: int = 0
    unit: LocalText | None = None

    @property
    def is_numeric(self) -> bool:
        """Whether answers are numbers in a range rather than labelled codes."""
        return self.kind != "categorical"

    @property
    def low(self) -> float:
        """The lowest substantive value."""
        return self.minimum if self.is_numeric else min(self.values)

    @property
    def high(self) -> float:
        """The highest substantive value."""
        return self.maximum if self.is_numeric else max(self.values)


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
        """An item's answer values and the scored value of each (after keying/recoding).

        numpy is imported here, not at the top: every command that reads ``study.yml`` loads
        this module, and numpy would be most of ``evaltools status``'s start-up.
        """
        import numpy as np

        item = self.item(item_id)
        rs = self.response_scales[item.response_scale]
        if rs.is_numeric:
            raise ValueError(f"item {item_id!r} of instrument {self.id!r} has a {rs.kind} "
                             "response scale: its answers are a range, not a list of values")
        answers = np.array(rs.values, dtype=float)
        if item.recode is not None:
            return answers, np.array([item.recode[int(v)] for v in answers], dtype=float)
        if item.reverse:
            return answers, rs.low + rs.high - answers
        return answers, answers.copy()


def as_instruments(instruments: Instrument | Iterable[Instrument]) -> list[Instrument]:
    """``instruments`` as a list: one Instrument, an iterable of them, or a Study's."""
    if isinstance(instruments, Instrument):
        return [instruments]
    out = list(getattr(instruments, "instruments", instruments))
    if not all(isinstance(i, Instrument) for i in out):
        raise TypeError("instruments must be an Instrument, a list of them, or a Study")
    return out
