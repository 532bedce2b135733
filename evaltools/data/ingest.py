"""Ingesting wave files: find, read, validate, pseudonymise and store them, file by file.

:func:`ingest` is safe to run again and again (for instance on a schedule): a file whose content
hash is already in the store is left alone, a changed file is checked again, a file with errors
is quarantined (recorded with its problem table, and skipped) while the other files still go
through. Raw files are only ever read. :func:`check_data` runs the same checks without writing
anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from evaltools.core.errors import Problem
from evaltools.data.codes import map_item_values
from evaltools.data.coding import zero_padding_links
from evaltools.data.linkage import linkage_from_answers
from evaltools.data.platforms import file_format, read_platform
from evaltools.data.pseudonym import StudyKeyError, load_key, pseudonymise
from evaltools.data.readers import read_table
from evaltools.data.redact import redact_problems
from evaltools.data.scan import (
    FileOutcome,
    IngestResult,
    discover_files,
    remove_orphans,
)
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

if TYPE_CHECKING:
    import pandas as pd

#: discover_files, FileOutcome and IngestResult live in :mod:`evaltools.data.scan` (no pandas)
#: and stay importable from here.
__all__ = ["ingest", "check_data", "discover_files", "FileOutcome", "IngestResult"]


def _relative(study: Study, path: Path) -> str:
    return path.relative_to(study.folder).as_posix()


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
                linked.setdefault(wave_id, set()).update(ids.dropna().tolist())
        manifest.files[rel] = record
        outcomes.append(FileOutcome(rel, wave, record.status, record.rows, file_problems,
                                    report))
    for rel in sorted(set(manifest.files) - seen_paths):
        gone = manifest.files.pop(rel)
        outcomes.append(FileOutcome(rel, gone.wave, "removed", 0, [Problem(
            rel, "(file)", "file is no longer in the raw folder; its rows leave the panel",
            severity="warning")]))
    manifest.save(store)
    remove_orphans(study, manifest)
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
            linked.setdefault(str(wave_id), set()).update(ids.dropna().tolist())
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

