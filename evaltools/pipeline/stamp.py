"""The register step's stamp: what a run last saw of the evidence register.

After a run whose register step succeeded (the study's rows are in, the overview pages are
current), the run records in ``store/register-stamp.json``: the register's URL and the reports
folder, the study's inputs fingerprint (:func:`evaltools.register.fingerprint.inputs_fingerprint`,
which covers the accepted wave files, study.yml and the evaltools version), the SHA-256 of the
register's SQLite file, and the overview pages' own stamps. A later run whose every one of these
is unchanged knows what the register step would find, namely the study's rows present and the
overview current, without opening the register: opening it imports SQLAlchemy, Alembic and the
analyses, most of a no-op ``evaltools run`` (``benchmarks/pipeline.py``).

Only an SQLite file can be fingerprinted this way; a register on a database server is always
opened. Any write to the register (another study's rows, an import, a retraction) changes the
file's bytes and so the stamp no longer matches.
"""

from __future__ import annotations

import json
from pathlib import Path

from evaltools.core.io import atomic_write_text
from evaltools.data.manifest import file_hash
from evaltools.register.fingerprint import inputs_fingerprint
from evaltools.register.location import RegisterError, register_url, sqlite_file
from evaltools.reports.index import OVERVIEW_FOLDER, OVERVIEW_STAMP
from evaltools.study.model import Study

__all__ = ["REGISTER_STAMP", "unchanged_register", "write_register_stamp",
           "remove_register_stamp", "overview_languages"]

#: In the study's store: what the last successful register step saw.
REGISTER_STAMP = "register-stamp.json"
_FORMAT = 1


def overview_languages(language: str) -> list[str]:
    """The overview's pages a run keeps current: both languages, the study's first."""
    return list(dict.fromkeys([language, "nl", "en"]))


def _state(study: Study, url: str | None, reports_dir: str | Path,
           languages: list[str]) -> dict | None:
    """Everything the register step's outcome depends on, or None when that cannot be told
    without opening the register (not an SQLite file, a transaction under way)."""
    try:
        url = register_url(study, url=url, reports_dir=reports_dir)
    except RegisterError:
        return None
    path = sqlite_file(url)
    if path is None or not path.is_file() or any(
            path.with_name(path.name + suffix).exists() for suffix in ("-wal", "-journal")):
        return None
    folder = Path(reports_dir) / OVERVIEW_FOLDER
    pages = {}
    for language in languages:
        if not (folder / language / "report.html").is_file():
            return None
        try:
            pages[language] = (folder / language / OVERVIEW_STAMP).read_text("utf-8").strip()
        except OSError:
            return None
    return {"format": _FORMAT, "url": url, "reports_dir": str(Path(reports_dir).resolve()),
            "inputs": inputs_fingerprint(study), "register": file_hash(path),
            "overview": pages}


def unchanged_register(study: Study, url: str | None, reports_dir: str | Path,
                       languages: list[str]) -> int | None:
    """How many of the study's rows the register holds, when nothing the register step
    depends on changed since the stamp was written; None when the step must run.

    ``url`` and ``reports_dir`` as given to :func:`evaltools.pipeline.run.run_study`;
    ``languages``: the overview pages the step would keep current.
    """
    try:
        stamp = json.loads((study.store_dir / REGISTER_STAMP).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or not isinstance(stamp.get("rows"), int):
        return None
    rows = stamp.pop("rows")
    state = _state(study, url, reports_dir, languages)
    return rows if state is not None and state == stamp else None


def write_register_stamp(study: Study, url: str | None, reports_dir: str | Path,
                         languages: list[str], rows: int) -> None:
    """Record what a successful register step saw (``rows``: the study's rows the register
    holds for its current inputs, at least one); removes the stamp when the state cannot be
    recorded."""
    state = _state(study, url, reports_dir, languages)
    if state is None or rows < 1:
        remove_register_stamp(study)
        return
    atomic_write_text(study.store_dir / REGISTER_STAMP,
                      json.dumps({**state, "rows": rows}, indent=1) + "\n")


def remove_register_stamp(study: Study) -> None:
    """Forget the stamp: the next run opens the register."""
    (study.store_dir / REGISTER_STAMP).unlink(missing_ok=True)
