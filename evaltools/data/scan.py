"""Finding a study's wave files, and what ingesting them did: without pandas.

Split from :mod:`evaltools.data.ingest` so that a scheduled ``evaltools run`` can tell that no
wave file is new, changed or gone (:func:`unchanged_ingest`: the files' content hashes against
the store's manifest, and the key against the one the store was built with) without importing
pandas, pyreadstat and the readers; see ``benchmarks/pipeline.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from evaltools.core.errors import Problem
from evaltools.data.key import load_key
from evaltools.data.manifest import Manifest, StoreError, file_hash
from evaltools.study.model import Study

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["discover_files", "unchanged_ingest", "remove_orphans", "FileOutcome",
           "IngestResult", "OUTCOME_COLUMNS"]

OUTCOME_COLUMNS = ["file", "wave", "status", "rows", "errors", "warnings", "report"]


@dataclass
class FileOutcome:
    """What happened to one raw file."""

    file: str
    wave: str | None
    status: str  # accepted | quarantined | unchanged | duplicate | removed | checked
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    report: str | None = None

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)


@dataclass
class IngestResult:
    """The outcome of one ingest (or check) over a study's wave files."""

    study: Study
    outcomes: list[FileOutcome]
    problems: list[Problem] = field(default_factory=list)  # not tied to one file

    def summary(self) -> pd.DataFrame:
        """One row per file: ``file, wave, status, rows, errors, warnings, report``."""
        import pandas as pd

        return pd.DataFrame([(o.file, o.wave, o.status, o.rows, o.errors, o.warnings, o.report)
                             for o in self.outcomes], columns=OUTCOME_COLUMNS)

    def counts(self) -> dict[str, int]:
        """How many files had each status (what :meth:`summary` counts, without pandas)."""
        return dict(Counter(o.status for o in self.outcomes))

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def ok(self) -> bool:
        """No file quarantined and no study-level error."""
        return self.count("quarantined") == 0 and not any(
            p.severity == "error" for p in self.problems) and not any(
            o.status == "checked" and o.errors for o in self.outcomes)


def _relative(study: Study, path: Path) -> str:
    return path.relative_to(study.folder).as_posix()


def discover_files(study: Study) -> tuple[list[tuple[Path, str | None, str | None, object]],
                                          list[Problem]]:
    """The raw files the study's ``data.files`` rules match: (path, wave, site, sheet).

    Nothing in the raw folder is passed over in silence: hidden files (``.name``), Office lock
    files (``~$...``), symbolic links that lead out of the study folder, and special files
    (pipes, devices, sockets) are reported and not read; a file matched by two rules, and a
    file that no rule matches, are reported too.
    """
    raw = study.data.raw_dir
    problems: list[Problem] = []
    if not raw.is_dir():
        return [], [Problem("study.yml", "data.raw_dir", "raw data folder does not exist",
                            found=_relative(study, raw) if raw.is_relative_to(study.folder)
                            else raw.name)]
    screened: dict[Path, Problem | None] = {}

    def usable(path: Path) -> bool:
        if path not in screened:
            screened[path] = _screen(study, path)
        return screened[path] is None

    matched: dict[Path, tuple] = {}
    for rule in study.data.files:
        for path in sorted(raw.glob(rule.pattern)):
            if path.is_dir() and not path.is_symlink() or not usable(path):
                continue
            if path in matched:
                problems.append(Problem(_relative(study, path), "(file)", "matched by more than "
                                        f"one data.files rule ({matched[path][3]!r} and "
                                        f"{rule.pattern!r}); not ingested"))
                matched[path] = (None, None, None, None, "ambiguous")
                continue
            matched[path] = (rule.wave, rule.site, rule.sheet, rule.pattern)
    for path in sorted(raw.rglob("*")):
        if path in matched or path.is_dir() and not path.is_symlink():
            continue
        if usable(path):
            problems.append(Problem(_relative(study, path), "(file)", "no data.files rule "
                                    "matches this file; not ingested", severity="warning"))
    problems += list(dict.fromkeys(problem for _, problem in sorted(screened.items())
                                   if problem is not None))
    files = [(p, v[0], v[1], v[2]) for p, v in sorted(matched.items())
             if len(v) == 4]
    return files, problems


def _screen(study: Study, path: Path) -> Problem | None:
    """Why a path in the raw folder is not read (None: it is an ordinary file to read)."""
    rel = _relative(study, path)
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return Problem(_printable(rel), "(file)", "file name is not valid UTF-8 text; not read",
                       expected="a file name in UTF-8 (rename the file)")
    inside = path.relative_to(study.data.raw_dir).parts
    if any(part.startswith(".") for part in inside):
        hidden = study.data.raw_dir.joinpath(*inside[:next(
            i for i, part in enumerate(inside) if part.startswith(".")) + 1])
        return Problem(_relative(study, hidden), "(file)", "hidden file or folder (its name "
                       "starts with '.'); not read", severity="warning",
                       expected="wave files with ordinary names")
    if path.name.startswith("~$"):
        return Problem(rel, "(file)", "Office lock file (the workbook is open somewhere); "
                       "not read", severity="warning")
    target = path.resolve()
    if not target.is_relative_to(study.folder.resolve()):
        return Problem(rel, "(file)", "symbolic link leading out of the study folder; "
                       "not read", expected="the wave file itself, copied into the raw folder")
    if not target.exists():
        return Problem(rel, "(file)", "symbolic link to a file that does not exist; not read")
    if path.is_dir():
        return Problem(rel, "(file)", "link to a folder; not read",
                       severity="warning")
    if not path.is_file():
        return Problem(rel, "(file)", "not a regular file (a pipe, socket or device); not "
                       "read", expected="an ordinary wave file")
    return None


def _printable(name: str) -> str:
    """A file name with undecodable bytes shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def unchanged_ingest(study: Study) -> IngestResult | None:
    """What :func:`evaltools.data.ingest.ingest` would return when no wave file is new, changed
    or gone, or None when there is something to ingest.

    Every file the study's ``data.files`` rules match is hashed and compared with its record in
    the manifest; the key is loaded and checked against the one the store was built with, as
    ``ingest`` does (the same errors are raised). Stored parts that no record names are removed,
    as after an ingest.

    Raises
    ------
    StudyKeyError, StoreError
        As :func:`evaltools.data.ingest.ingest`.
    """
    key = load_key(study)
    manifest = Manifest.load(study.store_dir, study.id)
    if manifest.key_fingerprint not in (None, key.fingerprint()):
        raise StoreError(f"the store of study {study.id!r} was built with another key; its "
                         "pseudonyms would not match. Ingest again with --rebuild.")
    if manifest.key_fingerprint is None:
        return None
    files, problems = discover_files(study)
    problems += [Problem("(key)", "pseudonymisation", text, severity="warning")
                 for text in key.warnings]
    outcomes = []
    for path, *_ in files:
        rel = _relative(study, path)
        old = manifest.files.get(rel)
        if old is None or old.sha256 != file_hash(path):
            return None
        outcomes.append(FileOutcome(rel, old.wave, "unchanged", old.rows,
                                    report=old.report))
    if len(outcomes) != len(manifest.files):  # a file is gone from the raw folder
        return None
    remove_orphans(study, manifest)
    return IngestResult(study, outcomes, problems)


def remove_orphans(study: Study, manifest: Manifest) -> None:
    """Delete stored parts no manifest entry points to (never anything outside the store)."""
    live = {r.part for r in manifest.files.values() if r.part}
    responses = study.store_dir / "responses"
    if not responses.is_dir():
        return
    for part in responses.rglob("*.parquet"):
        if part.relative_to(study.folder).as_posix() not in live:
            part.unlink()
