"""Where the evidence register is, without SQLAlchemy: its URL from the options, the
environment or study.yml.

Split from :mod:`evaltools.register.database` so that a scheduled ``evaltools run`` can tell
that the register has not changed since its last run (:mod:`evaltools.pipeline.stamp`) without
importing SQLAlchemy and Alembic; see ``benchmarks/pipeline.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from evaltools.core.errors import EvaltoolsError

__all__ = ["register_url", "mask_url", "sqlite_file", "RegisterError", "REGISTER_ENV"]

REGISTER_ENV = "EVALTOOLS_REGISTER"


class RegisterError(EvaltoolsError):
    """The register cannot be opened, or rows offered to it break its rules."""


def register_url(study=None, *, url: str | None = None,
                 reports_dir: str | Path = "reports") -> str:
    """Which register to use: ``url``, else ``$EVALTOOLS_REGISTER``, else study.yml
    ``evidence: register``, else an SQLite file ``<reports_dir>/register.sqlite``.

    A value without ``://`` is a file path (relative to the study folder when it comes from
    study.yml) and means an SQLite database there.
    """
    # each source with the folder a relative file path in it is relative to
    sources = [(url, Path.cwd()), (os.environ.get(REGISTER_ENV), Path.cwd())]
    if study is not None:
        sources.append((study.evidence.register, Path(study.folder)))
    chosen, base = next(((value, base) for value, base in sources if value), (None, None))
    if not chosen:
        return f"sqlite:///{Path(reports_dir).resolve() / 'register.sqlite'}"
    if "://" not in chosen:
        if "@" in chosen or re.match(r"^[A-Za-z][\w+.-]*:(?![\\/])", chosen) and not \
                re.match(r"^[A-Za-z]:[\\/]", chosen):
            raise RegisterError(
                f"register {mask_url(chosen)!r} has no scheme: write sqlite:///path/file.sqlite "
                "for a file, or postgresql+psycopg://user@host/db for a database server")
        return f"sqlite:///{(base / Path(chosen).expanduser()).resolve()}"
    return chosen


def mask_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages; parses nothing).

    Examples
    --------
    >>> mask_url("postgresql://ann:s3cret@db:5432/reg"), mask_url("ann:s3cret@db/reg")
    ('postgresql://ann:***@db:5432/reg', 'ann:***@db/reg')
    """
    return re.sub(r"(^|//)([^/:@]*):[^@/]*@", r"\1\2:***@", url)


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite register URL (``sqlite:///path``, as :func:`register_url` makes
    them), or None for any other URL (a database server, in memory, with query options).

    Examples
    --------
    >>> sqlite_file("sqlite:////data/register.sqlite"), sqlite_file("postgresql://db/reg")
    (PosixPath('/data/register.sqlite'), None)
    """
    match = re.fullmatch(r"sqlite(?:\+pysqlite)?:///([^?]+)", url)
    if match is None or match.group(1) == ":memory:":
        return None
    return Path(match.group(1))
