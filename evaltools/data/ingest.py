"""Ingesting wave files: find, read, validate, pseudonymise and store them, file by file.

:func:`ingest` is safe to run again and again (for instance on a schedule): a file whose content
hash is already in the store is left alone, a changed file is checked again, a file with errors
is quarantined (recorded with its problem table, and skipped) while the other files still go
through. Raw files are only ever read. :func:`check_data` runs the same checks without writing
anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaltools.core.errors import Problem
from evaltools.data.codes import map_item_values
from evaltools.data.coding import zero_padding_links
from evaltools.data.linkage import linkage_from_answers
from evaltools.data.platforms import file_format, read_platform
from evaltools.data.pseudonym import StudyKeyError, load_key, pseudonymise
from evaltools.data.readers import read_table
from evaltools.data.redact import redact_problems
from evaltools.data.store import (
    FileRecord,
    Manifest,
    StoreError,
    file_hash,
    now,
    read_part,
    write_part,
    write_problem_tables,
)
from evaltools.data.validation import validate_table
from evaltools.study.load import load_study
from evaltools.study.model import Study

__all__ = ["ingest", "check_data", "discover_files", "FileOutcome", "IngestResult"]

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
        return pd.DataFrame([(o.file, o.wave, o.status, o.rows, o.errors, o.warnings, o.report)
                             for o in self.outcomes], columns=OUTCOME_COLUMNS)

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


def _check_one(study: Study, path: Path, wave, site, sheet):
    frame, problems = _check_file(study, path, wave, site, sheet)
    return frame, redact_problems(problems)  # no identifier reaches a problem table


def _check_file(study: Study, path: Path, wave, site, sheet):
    display = _relative(study, path)
    try:
        table, problems = read_table(path, display, delimiter=study.data.csv_delimiter,
                                     encoding=study.data.csv_encoding, sheet=sheet)
        if table is None:
            return None, problems
        table, _, left_out = read_platform(table, file_format(study, path)[0], study, display)
        problems += left_out
        if table is None:
            return None, problems
        table, coded = map_item_values(table, study, display, wave=wave)
        problems += coded
        frame, more = validate_table(table, study, display, wave=wave, site=site)
        if any(p.severity == "error" for p in coded):
            frame = None
        if frame is not None and frame.empty:
            more = more + [Problem(display, f"column {study.data.respondent_id}", "no row has "
                                   "a usable respondent id; the file is refused",
                                   expected="a respondent id in every row")]
            frame = None
    except (MemoryError, RecursionError, OSError, ValueError, TypeError, KeyError,
            IndexError, AttributeError, OverflowError) as exc:
        # an unforeseen kind of broken file: quarantine it, never stop the other files
        return None, [Problem(display, "(file)", "file could not be checked "
                              f"({type(exc).__name__}); it is quarantined, the other files "
                              "go through", expected="a wave file evaltools can read; please "
                              "report this file's kind to the evaltools maintainers")]
    return frame, problems + more


def check_data(study: Study | str | Path) -> IngestResult:
    """Read and validate every wave file without writing anything (``validate --data``).

    Platform exports are read as delivered (:mod:`evaltools.data.platforms`), coded answers
    mapped (:mod:`evaltools.data.codes`), and the files together checked for respondents
    linked wrongly between waves (:mod:`evaltools.data.linkage`; a study-level warning).

    Parameters
    ----------
    study : Study, str or Path

    Returns
    -------
    IngestResult
        Every file with status ``checked`` and its problems; ``ok`` is false if any file has
        an error.
    """
    study = study if isinstance(study, Study) else load_study(study)
    files, problems = discover_files(study)
    outcomes, frames = [], []
    stored = _store_for_linking(study)
    for path, wave, site, sheet in files:
        frame, file_problems = _check_one(study, path, wave, site, sheet)
        if frame is not None and stored is not None:
            file_problems = file_problems + _leading_zero_warning(
                study, frame, pseudonymise(frame["respondent_key"], stored[0]), stored[1],
                stored[0], _relative(study, path))
        outcomes.append(FileOutcome(_relative(study, path), wave, "checked",
                                    0 if frame is None else len(frame), file_problems))
        frames.append(frame)
    if study.paired:  # ids linked wrongly between waves? (a cross-section has no links)
        problems += linkage_from_answers(frames, study)[1]
    return IngestResult(study, outcomes, problems)


def ingest(study: Study | str | Path, *, rebuild: bool = False) -> IngestResult:
    """Ingest new and changed wave files into the study store.

    Parameters
    ----------
    study : Study, str or Path
        A loaded study, or its folder.
    rebuild : bool
        Forget the store's record and ingest every file again (needed after a key change).

    Returns
    -------
    IngestResult
        Per file: accepted, quarantined, unchanged, duplicate (same content as another file) or
        removed (no longer in the raw folder).

    Raises
    ------
    StudyDefinitionError, StudyKeyError, StoreError
        When the definition is invalid, the key is missing, or the store was built with another
        key (then use ``rebuild``).
    """
    study = study if isinstance(study, Study) else load_study(study)
    key = load_key(study)
    store = study.store_dir
    manifest = Manifest(study.id, None) if rebuild else Manifest.load(store, study.id)
    if manifest.key_fingerprint not in (None, key.fingerprint()):
        raise StoreError(f"the store of study {study.id!r} was built with another key; its "
                         "pseudonyms would not match. Ingest again with --rebuild.")
    manifest.key_fingerprint = key.fingerprint()
    files, problems = discover_files(study)
    problems += [Problem("(key)", "pseudonymisation", text, severity="warning")
                 for text in key.warnings]
    outcomes: list[FileOutcome] = []
    seen_paths = set()
    linked: dict[str, set] | None = None  # wave -> stored pseudonyms, read when first needed
    for path, wave, site, sheet in files:
        rel = _relative(study, path)
        seen_paths.add(rel)
        sha = file_hash(path)
        old = manifest.files.get(rel)
        if old is not None and old.sha256 == sha:
            outcomes.append(FileOutcome(rel, old.wave, "unchanged", old.rows, report=old.report))
            continue
        twin = next((r for r in manifest.files.values() if r.sha256 == sha and r.path != rel
                     and r.path in seen_paths | {p.path for p in manifest.files.values()}), None)
        if twin is not None and twin.status == "accepted":
            note = Problem(rel, "(file)", f"same content as {twin.path}; not ingested twice",
                           severity="warning")
            outcomes.append(FileOutcome(rel, wave, "duplicate", 0, [note]))
            manifest.files[rel] = FileRecord(rel, sha, path.stat().st_size, "duplicate", wave,
                                             warnings=1, ingested_at=now())
            continue
        frame, file_problems = _check_one(study, path, wave, site, sheet)
        if frame is not None:
            if linked is None:
                linked = _stored_pseudonyms(study, manifest)
            pseudonyms = pseudonymise(frame["respondent_key"], key)
            file_problems = file_problems + _leading_zero_warning(study, frame, pseudonyms,
                                                                  linked, key, rel)
        report = write_problem_tables(store, wave, path.name, file_problems) \
            if file_problems else None
        record = FileRecord(rel, sha, path.stat().st_size, "quarantined", wave,
                            errors=sum(p.severity == "error" for p in file_problems),
                            warnings=sum(p.severity == "warning" for p in file_problems),
                            report=report, ingested_at=now())
        if frame is not None:
            stored = frame.assign(respondent_id=pseudonyms, source_file=rel)
            stored = stored.drop(columns="respondent_key")
            stored = stored[["respondent_id"] + [c for c in stored.columns
                                                 if c != "respondent_id"]]
            record.part = write_part(store, frame["wave"].iloc[0] if wave is None else wave,
                                     sha, stored)
            record.status = "accepted"
            record.rows = len(stored)
            record.sites = sorted(stored["site"].dropna().unique().tolist())
            for wave_id, ids in stored.groupby("wave")["respondent_id"]:
                linked.setdefault(wave_id, set()).update(ids.dropna())
        manifest.files[rel] = record
        outcomes.append(FileOutcome(rel, wave, record.status, record.rows, file_problems,
                                    report))
    for rel in sorted(set(manifest.files) - seen_paths):
        gone = manifest.files.pop(rel)
        outcomes.append(FileOutcome(rel, gone.wave, "removed", 0, [Problem(
            rel, "(file)", "file is no longer in the raw folder; its rows leave the panel",
            severity="warning")]))
    manifest.save(store)
    _remove_orphans(study, manifest)
    return IngestResult(study, outcomes, problems)


def _store_for_linking(study: Study):
    """(key, wave -> stored pseudonyms) when there is a store built with the key at hand, for
    :func:`check_data` to compare a delivery with what is stored; None otherwise (checking
    never needs a key)."""
    try:
        key = load_key(study)
        manifest = Manifest.load(study.store_dir, study.id)
    except (StudyKeyError, StoreError):
        return None
    if not manifest.files or manifest.key_fingerprint != key.fingerprint():
        return None
    return key, _stored_pseudonyms(study, manifest)


def _stored_pseudonyms(study: Study, manifest: Manifest) -> dict[str, set]:
    """Wave -> the pseudonyms of the accepted files in the store."""
    linked: dict[str, set] = {}
    for record in manifest.files.values():
        if record.status != "accepted" or not record.part:
            continue
        try:
            part = read_part(study.folder, record.part, columns=["respondent_id", "wave"])
        except (OSError, KeyError, ValueError):
            continue  # a damaged part is reported where the panel is read
        for wave_id, ids in part.groupby("wave")["respondent_id"]:
            linked.setdefault(str(wave_id), set()).update(ids.dropna())
    return linked


def _leading_zero_warning(study: Study, frame: pd.DataFrame, pseudonyms: pd.Series,
                          linked: dict[str, set], key, rel: str) -> list[Problem]:
    """A warning when ids link to another wave only after adding or removing leading zeros."""
    count = zero_padding_links(frame["respondent_key"], frame["wave"], pseudonyms, linked,
                               lambda ids: pseudonymise(ids, key))
    if not count:
        return []
    return [Problem(rel, f"column {study.data.respondent_id}", f"{count} respondent ids link "
                    "to no other wave as given, but would with leading zeros added or removed "
                    "(Excel drops leading zeros from numbers); they are ingested as given, so "
                    "these respondents no longer link to their answers in other waves",
                    found=f"{count} ids", expected="the id column delivered as text, with "
                    "every leading zero, in every wave", severity="warning")]


def _remove_orphans(study: Study, manifest: Manifest) -> None:
    """Delete stored parts no manifest entry points to (never anything outside the store)."""
    live = {r.part for r in manifest.files.values() if r.part}
    responses = study.store_dir / "responses"
    if not responses.is_dir():
        return
    for part in responses.rglob("*.parquet"):
        if part.relative_to(study.folder).as_posix() not in live:
            part.unlink()
