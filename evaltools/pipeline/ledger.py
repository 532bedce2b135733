"""The run ledger: every run and every report job, in SQLite inside the study's store.

``store/ledger.sqlite`` records for each run its start, end, status and process, and for each
report job its template, site, wave, fingerprint, status (planned / running / ok / failed /
interrupted / skipped), times, error summary and output folder. It is the single record of what
is current: a report is current when its last ``ok`` job has the fingerprint the report would
have now.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
from contextlib import closing
from pathlib import Path

from evaltools.reports.layout import pid_alive

__all__ = ["Ledger", "JOB_STATES"]

JOB_STATES = ("planned", "running", "ok", "failed", "interrupted", "skipped")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL, ended TEXT, status TEXT NOT NULL,
    pid INTEGER NOT NULL, host TEXT NOT NULL, arguments TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    template TEXT NOT NULL, site TEXT NOT NULL, wave TEXT NOT NULL,
    fingerprint TEXT NOT NULL, status TEXT NOT NULL,
    started TEXT, ended TEXT, error TEXT, output TEXT
);
CREATE INDEX IF NOT EXISTS jobs_report ON jobs(template, site, wave, status);
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alive(pid: int, host: str) -> bool:
    if host != socket.gethostname():
        return True  # cannot tell: assume it is alive
    return pid_alive(pid)


class Ledger:
    """Access to one study's ledger (a short-lived connection per call)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        return db

    def start_run(self, arguments: str = "") -> int:
        with closing(self._connect()) as db, db:
            cursor = db.execute("INSERT INTO runs (started, status, pid, host, arguments) "
                                "VALUES (?, 'running', ?, ?, ?)",
                                (_now(), os.getpid(), socket.gethostname(), arguments))
            return int(cursor.lastrowid)

    def finish_run(self, run_id: int, status: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("UPDATE runs SET ended = ?, status = ? WHERE id = ?",
                       (_now(), status, run_id))

    def recover(self) -> list[sqlite3.Row]:
        """Mark runs whose process died (killed, power loss) and their open jobs interrupted.

        Returns
        -------
        list of rows
            The jobs that were marked interrupted.
        """
        with closing(self._connect()) as db, db:
            dead = [r["id"] for r in db.execute(
                "SELECT id, pid, host FROM runs WHERE status = 'running'")
                if not _alive(r["pid"], r["host"])]
            jobs = []
            for run_id in dead:
                jobs += db.execute("SELECT * FROM jobs WHERE run_id = ? AND status IN "
                                   "('planned', 'running')", (run_id,)).fetchall()
                db.execute("UPDATE jobs SET status = 'interrupted', ended = ? WHERE run_id = ? "
                           "AND status IN ('planned', 'running')", (_now(), run_id))
                db.execute("UPDATE runs SET status = 'interrupted', ended = ? WHERE id = ?",
                           (_now(), run_id))
            return jobs

    def add_job(self, run_id: int, template: str, site: str, wave: str, fingerprint: str,
                status: str = "planned") -> int:
        with closing(self._connect()) as db, db:
            cursor = db.execute("INSERT INTO jobs (run_id, template, site, wave, fingerprint, "
                                "status) VALUES (?, ?, ?, ?, ?, ?)",
                                (run_id, template, site, wave, fingerprint, status))
            return int(cursor.lastrowid)

    def add_jobs(self, run_id: int, jobs: list[tuple[str, str, str, str, str]]) -> list[int]:
        """:meth:`add_job` for many (template, site, wave, fingerprint, status) at once, in one
        transaction (one synchronous commit instead of one per report)."""
        with closing(self._connect()) as db, db:
            return [int(db.execute("INSERT INTO jobs (run_id, template, site, wave, "
                                   "fingerprint, status) VALUES (?, ?, ?, ?, ?, ?)",
                                   (run_id, *job)).lastrowid) for job in jobs]

    def set_job(self, job_id: int, status: str, *, error: str | None = None,
                output: str | None = None) -> None:
        if status not in JOB_STATES:
            raise ValueError(f"job status {status!r}: expected one of {JOB_STATES}")
        column = "started" if status == "running" else "ended"
        with closing(self._connect()) as db, db:
            db.execute(f"UPDATE jobs SET status = ?, {column} = ?, error = COALESCE(?, error), "
                       "output = COALESCE(?, output) WHERE id = ?",
                       (status, _now(), error, output, job_id))

    def last(self, template: str, site: str, wave: str, status: str | None = None):
        """The latest job for one report (optionally only with ``status``), or None."""
        query = "SELECT * FROM jobs WHERE template = ? AND site = ? AND wave = ?"
        args: list = [template, site, wave]
        if status:
            query += " AND status = ?"
            args.append(status)
        with closing(self._connect()) as db:
            return db.execute(query + " ORDER BY id DESC LIMIT 1", args).fetchone()

    def latest(self) -> dict[tuple[str, str, str], dict[str, sqlite3.Row]]:
        """For every report in the ledger, its latest job (``"any"``) and latest ``ok`` job.

        One query for all reports, where :meth:`last` takes one per report and status
        (planning a 100-site study asked 1,200 times; ``benchmarks/pipeline.py``).

        Returns
        -------
        dict
            (template, site, wave) -> {"any": row, "ok": row}; a key is missing when the
            report has no such job.
        """
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT * FROM jobs WHERE id IN (SELECT MAX(id) FROM jobs GROUP BY template, "
                "site, wave) OR id IN (SELECT MAX(id) FROM jobs WHERE status = 'ok' GROUP BY "
                "template, site, wave) ORDER BY id").fetchall()
        out: dict[tuple[str, str, str], dict[str, sqlite3.Row]] = {}
        for row in rows:  # by id: the last one written wins
            entry = out.setdefault((row["template"], row["site"], row["wave"]), {})
            entry["any"] = row
            if row["status"] == "ok":
                entry["ok"] = row
        return out

    def runs(self, limit: int = 20) -> list[sqlite3.Row]:
        with closing(self._connect()) as db:
            return db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()

    def jobs(self, run_id: int) -> list[sqlite3.Row]:
        with closing(self._connect()) as db:
            return db.execute("SELECT * FROM jobs WHERE run_id = ? ORDER BY id",
                              (run_id,)).fetchall()
