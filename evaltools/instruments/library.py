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
from functools import cache
from pathlib import Path

from evaltools.core.errors import InstrumentDefinitionError, Problem
from evaltools.core.schema import schema_problems, suggest
from evaltools.core.yamlio import read_yaml
from evaltools.instruments.checks import check_instrument
from evaltools.instruments.model import Cutoffs, Instrument, Item, ResponseScale, Scale

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

def library_dir() -> Path:
    """The folder of instruments shipped with evaltools.

    A source checkout reads the repository's ``surveys/``; an installed wheel carries a copy in
    ``evaltools/_library/surveys``.
    """
    here = Path(__file__).resolve().parents[1]  # the evaltools package folder
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
