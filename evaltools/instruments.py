"""Survey instruments as data: finding, reading and checking the definitions in ``surveys/``.

An instrument file describes one version of a questionnaire: its response scales (values,
labels and missing codes such as "weet niet" = 9), its items (which response scale, whether the
item is reverse-keyed) and the scales scored from them (items, mean or sum, the minimum number
of valid answers, and whether a higher score is better or worse).

The library shipped with evaltools lives in the repository's ``surveys/`` folder (inside the
wheel as ``evaltools/_library/surveys``); a study may add its own instruments in a ``surveys/``
folder beside its ``study.yml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from evaltools._yamlio import read_yaml
from evaltools.errors import InstrumentDefinitionError, Problem
from evaltools.text import LocalText

__all__ = [
    "Instrument",
    "Item",
    "ResponseScale",
    "Scale",
    "library_dir",
    "load_instrument",
    "find_instruments",
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
    """One question: its id (also its default column name), response scale and keying."""

    id: str
    response_scale: str
    reverse: bool = False
    text: LocalText | None = None


@dataclass(frozen=True)
class Scale:
    """A score computed from items: ``mean`` or (prorated) ``sum`` of at least ``min_valid``."""

    id: str
    items: tuple[str, ...]
    method: Literal["mean", "sum"]
    min_valid: int
    direction: Direction
    label: LocalText


@dataclass(frozen=True)
class Instrument:
    """One version of a survey instrument, read from a file in ``surveys/``."""

    id: str
    version: str
    title: LocalText
    protective_factor: str
    level: str
    citation: str
    licence: str
    items_shippable: bool
    validated: bool
    response_scales: dict[str, ResponseScale]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    source: str

    def item(self, item_id: str) -> Item:
        """The item called ``item_id``."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"instrument {self.id!r} has no item {item_id!r}")

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Item ids in questionnaire order."""
        return tuple(item.id for item in self.items)


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


def load_instrument(path: Path, display: str | None = None) -> Instrument:
    """Read and check one instrument file.

    Parameters
    ----------
    path : Path
        A ``.yml`` file in the instrument format.
    display : str, optional
        How to name the file in messages.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentDefinitionError
        Listing every problem in the file (missing keys, unknown response scale, reverse key
        on an item without a range, a scale naming an unknown item, duplicate ids).
    """
    name = display or Path(path).name
    doc = read_yaml(Path(path), name)
    problems = list(doc.problems)
    data = doc.data
    if data is not None and not isinstance(data, dict):
        problems.append(Problem(name, "(top level)", "expected a mapping", found=data))
    if problems:
        raise InstrumentDefinitionError(f"instrument {name}", problems)
    instrument = _build(data, name, doc.line_of, problems)
    if any(p.severity == "error" for p in problems):
        raise InstrumentDefinitionError(f"instrument {name}", problems)
    return instrument


def _build(data: dict[str, Any], name: str, line_of, problems: list[Problem]) -> Instrument | None:
    def need(key: str) -> Any:
        if key not in data:
            problems.append(Problem(name, key, f"required key {key!r} is missing", line=1))
        return data.get(key)

    for key in ("id", "version", "title", "protective_factor", "level", "citation", "licence",
                "response_scales", "items", "scales"):
        need(key)
    if problems:
        return None
    scales_in = data["response_scales"] or {}
    response_scales = {
        sid: ResponseScale(
            id=sid,
            values=tuple(int(v) for v in spec["values"]),
            labels={int(k): LocalText.parse(v) for k, v in (spec.get("labels") or {}).items()},
            missing={int(k): LocalText.parse(v) for k, v in (spec.get("missing") or {}).items()},
        )
        for sid, spec in scales_in.items()
    }
    items, seen = [], set()
    for index, spec in enumerate(data["items"] or []):
        where = f"items[{index}]"
        if spec.get("id") in seen:
            problems.append(Problem(name, where + ".id", "item id given twice",
                                    found=spec.get("id"), line=line_of(("items", index))))
        seen.add(spec.get("id"))
        if spec.get("response_scale") not in response_scales:
            problems.append(Problem(name, where + ".response_scale", "unknown response scale",
                                    found=spec.get("response_scale"),
                                    expected="one of " + ", ".join(map(repr, response_scales)),
                                    line=line_of(("items", index, "response_scale"))))
        items.append(Item(spec["id"], spec.get("response_scale"), bool(spec.get("reverse", False)),
                          LocalText.parse(spec.get("text"))))
    scales = []
    for index, spec in enumerate(data["scales"] or []):
        unknown = [i for i in spec.get("items", []) if i not in seen]
        for item_id in unknown:
            problems.append(Problem(name, f"scales[{index}].items", "scale names an unknown item",
                                    found=item_id, line=line_of(("scales", index, "items"))))
        scales.append(Scale(spec["id"], tuple(spec["items"]), spec.get("method", "mean"),
                            int(spec.get("min_valid", len(spec["items"]))),
                            spec.get("direction", "higher_is_better"),
                            LocalText.parse(spec.get("label"), default=spec["id"])))
    licence = data["licence"] or {}
    return Instrument(
        id=data["id"], version=str(data["version"]), title=LocalText.parse(data["title"]),
        protective_factor=data["protective_factor"], level=data["level"],
        citation=" ".join(str(data["citation"]).split()), licence=licence.get("name", ""),
        items_shippable=bool(licence.get("items_shippable", False)),
        validated=bool(data.get("validated", True)), response_scales=response_scales,
        items=tuple(items), scales=tuple(scales), source=name,
    )


def find_instruments(extra_dirs: Iterable[Path] = ()) -> dict[str, list[Instrument]]:
    """All instruments in the library and in ``extra_dirs``, by id (versions in file order).

    Raises
    ------
    InstrumentDefinitionError
        If any instrument file is broken: every problem in every file at once.
    """
    found: dict[str, list[Instrument]] = {}
    problems: list[Problem] = []
    for folder in [library_dir(), *extra_dirs]:
        for instrument in _load_folder(Path(folder), problems):
            found.setdefault(instrument.id, []).append(instrument)
    if problems:
        raise InstrumentDefinitionError("instrument library", problems)
    return found


def _load_folder(folder: Path, problems: list[Problem]) -> list[Instrument]:
    if not folder.is_dir():
        return []
    return list(_load_folder_cached(folder.resolve(), problems))


@cache
def _load_cached(path: Path, mtime_ns: int) -> Instrument:
    return load_instrument(path, display=f"surveys/{path.name}")


def _load_folder_cached(folder: Path, problems: list[Problem]) -> Iterable[Instrument]:
    for path in sorted(folder.glob("*.yml")):
        try:
            yield _load_cached(path, path.stat().st_mtime_ns)
        except InstrumentDefinitionError as exc:
            problems.extend(exc.problems)
