"""The evidence register: an aggregate-only store of results, shared across studies.

Each pipeline run adds its study's results (per site and for the whole study, per scale and
later wave: n, standardised effect with CI and p, the indicative evidence rating). The
register lives in any database SQLAlchemy reaches: an SQLite file by default, PostgreSQL for a
register that many organisations share. Its schema is versioned with Alembic migrations, which
run when a register is opened. Exchange between registers goes through files
(:mod:`evaltools.register.exchange`), so organisations pool results without sharing microdata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects import postgresql, sqlite

from evaltools.register.columns import (
    ARM_COLUMNS,
    COLUMN_NAMES,
    COLUMNS,
    KEY_COLUMNS,
    results,
    withdrawn,
)
from evaltools.register.location import REGISTER_ENV, RegisterError, mask_url, register_url

#: register_url, mask_url, RegisterError and REGISTER_ENV live in
#: :mod:`evaltools.register.location` (no SQLAlchemy) and stay importable from here.
__all__ = ["Register", "RegisterError", "register_url", "check_rows", "result_id",
           "current_rows", "mask_url", "rows_fingerprint", "REGISTER_ENV", "CELL_FLOOR"]

#: No study's minimum cell size below this is accepted into a register.
CELL_FLOOR = 5
_MIGRATIONS = Path(__file__).with_name("migrations")
#: Plausible ranges of the numbers in a row (anything outside is a broken or forged row).
_RANGES = {"effect_size": (-20, 20), "ci_low": (-50, 50), "ci_high": (-50, 50),
           "se": (1e-9, 50), "follow_up_months": (0, 600), "n": (0, 10**8),
           "n_intervention": (0, 10**8), "n_comparison": (0, 10**8),
           "min_cell_size": (0, 10**6)}
_BOOLEANS = {True: True, False: False, "true": True, "false": False, "True": True,
             "False": False}  # 1 and 0 equal True and False as keys


def result_id(row: dict) -> str:
    """The identity of a result: SHA-256 over :data:`KEY_COLUMNS` joined by U+001F, and the
    :data:`ARM_COLUMNS` after them when a study with several contrasts set them."""
    keys = ["" if row.get(c) is None else str(row.get(c)) for c in KEY_COLUMNS]
    arms = ["" if pd.isna(row.get(c)) else str(row.get(c)) for c in ARM_COLUMNS]
    return _hash(keys + (arms if any(arms) else []))


def _hash(values) -> str:
    return hashlib.sha256("\x1f".join(values).encode()).hexdigest()


def _problem(source: str, row: int, column: str, value, rule: str) -> str:
    if hasattr(value, "item"):  # a numpy scalar: show it as the number it is
        value = value.item()
    return f"{source}: row {row}, column {column!r}, value {value!r}: {rule}"


def check_rows(frame: pd.DataFrame, *, source: str = "rows") -> pd.DataFrame:
    """Check rows against the register's rules and return them in its column order and types.

    Rules: exactly the register's columns (anything else, such as a respondent id, is
    refused); required values present; numbers and booleans readable; values from the allowed
    sets; every count at least the row's ``min_cell_size``, which is at least
    :data:`CELL_FLOOR`; ``ci_low <= effect_size <= ci_high``; ``se > 0``; ``p_value`` in
    [0, 1]; ``result_id`` equal to the hash of the key columns.

    Raises
    ------
    RegisterError
        Listing every problem (source, row number counting the header as row 1, column,
        value, rule).
    """
    unknown = [c for c in frame.columns if c not in COLUMN_NAMES]
    missing = [c.name for c in COLUMNS if c.required and c.name not in frame.columns]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"columns not in the register schema: {', '.join(map(str, unknown))}"
                         " (the register holds aggregate results only)")
        if missing:
            parts.append(f"required columns missing: {', '.join(missing)}")
        raise RegisterError(f"{source}: " + "; ".join(parts))
    out = frame.reindex(columns=COLUMN_NAMES).copy()
    problems = []
    for col in COLUMNS:
        values = out[col.name]
        if col.kind in ("integer", "number"):
            numbers = pd.to_numeric(values, errors="coerce").astype("float64")
            bad = numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")
            for i in np.flatnonzero(bad.to_numpy()):
                problems.append(_problem(source, i + 2, col.name, values.iloc[i], "not a number"))
            low, high = _RANGES.get(col.name, (-1e9, 1e9))
            wild = numbers.notna() & ~numbers.between(low, high)
            for i in np.flatnonzero(wild.to_numpy()):
                rule = ("not a finite number" if not np.isfinite(numbers.iloc[i])
                        else f"outside the plausible range [{low:g}, {high:g}]")
                problems.append(_problem(source, i + 2, col.name, values.iloc[i], rule))
            numbers = numbers.where(~wild)
            if col.kind == "integer":
                frac = numbers.notna() & (numbers != np.round(numbers))
                for i in np.flatnonzero(frac.to_numpy()):
                    problems.append(_problem(source, i + 2, col.name, values.iloc[i],
                                             "not a whole number"))
                numbers = numbers.round().astype("Int64")
            out[col.name] = numbers
        elif col.kind == "boolean":
            mapped = values.map(lambda v: None if pd.isna(v) else _BOOLEANS.get(v))
            for i in np.flatnonzero((mapped.isna() & values.notna()).to_numpy()):
                problems.append(_problem(source, i + 2, col.name, values.iloc[i],
                                         "expected true or false"))
            out[col.name] = mapped.astype("boolean")
        else:
            out[col.name] = values.astype(object).where(values.notna(), "").astype(str)
            for i in np.flatnonzero((out[col.name].str.len() > col.length).to_numpy()):
                problems.append(_problem(source, i + 2, col.name,
                                         out[col.name].iloc[i][:40] + "...",
                                         f"longer than {col.length} characters"))
        empty = out[col.name].isna() | (out[col.name].astype(str) == "")
        if col.required and col.name != "organisation":
            for i in np.flatnonzero(empty.to_numpy()):
                problems.append(_problem(source, i + 2, col.name, frame[col.name].iloc[i],
                                         "a value is required"))
        if col.enum:
            allowed = set(col.enum)
            for i in np.flatnonzero((~empty & ~out[col.name].isin(allowed)).to_numpy()):
                problems.append(_problem(source, i + 2, col.name, out[col.name].iloc[i],
                                         "expected one of " + ", ".join(e for e in col.enum
                                                                        if e)))
    problems += _row_rules(out, source)
    if problems:
        shown = problems[:50]
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise RegisterError(f"{len(problems)} problem(s) in {source}:\n" + "\n".join(shown)
                            + more)
    return out


def _row_rules(out: pd.DataFrame, source: str) -> list[str]:
    """The rules between columns, checked column-wise over all rows."""
    problems: list[str] = []

    def report(mask: pd.Series, column: str, rule) -> None:
        for i in np.flatnonzero(mask.fillna(False).to_numpy(bool)):
            problems.append(_problem(source, i + 2, column, out[column].iloc[i], rule(i)))

    floor = out["min_cell_size"].astype("Float64")
    report(floor < CELL_FLOOR, "min_cell_size",
           lambda i: f"must be at least {CELL_FLOOR} in a register")
    for name in ("n", "n_intervention", "n_comparison"):
        report(out[name].astype("Float64") < floor, name,
               lambda i: f"below the minimum cell size {floor.iloc[i]:g}: small cells never "
                         "enter the register")
    low, mid, high = (out[c].astype("Float64") for c in ("ci_low", "effect_size", "ci_high"))
    report(~((low <= mid) & (mid <= high)) & low.notna() & mid.notna() & high.notna(),
           "effect_size", lambda i: f"outside its interval [{low.iloc[i]}, {high.iloc[i]}]")
    report(out["se"].astype("Float64") <= 0, "se", lambda i: "must be positive")
    p = out["p_value"].astype("Float64")
    report((p < 0) | (p > 1), "p_value", lambda i: "must be between 0 and 1")
    level = out["ci_level"].astype("Float64")
    report((level <= 0) | (level >= 1), "ci_level",
           lambda i: "must be a share between 0 and 1, e.g. 0.95")
    recorded = pd.to_datetime(out["recorded_at"], errors="coerce", utc=True, format="ISO8601")
    latest = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    report((out["recorded_at"] != "") & recorded.isna(), "recorded_at",
           lambda i: "not a date and time (ISO 8601, e.g. 2026-11-29T12:00:00Z)")
    report(recorded > latest, "recorded_at", lambda i: "lies in the future")
    keys = zip(*(out[c].astype(str) for c in KEY_COLUMNS + ARM_COLUMNS), strict=True)
    expected = pd.Series([_hash(values if any(values[-len(ARM_COLUMNS):])
                                else values[:-len(ARM_COLUMNS)]) for values in keys],
                         index=out.index)
    report((out["result_id"] != "") & (out["result_id"] != expected), "result_id",
           lambda i: "does not match the key columns (" + ", ".join(KEY_COLUMNS)
           + ", and " + ", ".join(ARM_COLUMNS) + " when set): was the row edited after it "
           "was exported?")
    return problems


def current_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The newest row per result (the same key but an older data version is dropped)."""
    key = [c for c in KEY_COLUMNS if c != "inputs_fingerprint"]
    if frame.empty:
        return frame
    # the arms of a contrast are part of a result's identity (empty for a single contrast)
    arms = frame.reindex(columns=ARM_COLUMNS).astype(object).where(
        frame.reindex(columns=ARM_COLUMNS).notna(), "").astype(str)
    groups = [frame[c] for c in key] + [arms[c] for c in ARM_COLUMNS]
    newest = frame.loc[frame["recorded_at"].sort_values(kind="stable").index]
    newest = newest.groupby([g.loc[newest.index] for g in groups], sort=False,
                            dropna=False).tail(1)
    return newest.sort_values(["intervention", "study", "scale", "wave_post", "site"]
                              ).reset_index(drop=True)


class Register:
    """An open evidence register.

    Parameters
    ----------
    url : str
        An SQLAlchemy URL: ``sqlite:////path/register.sqlite`` or
        ``postgresql+psycopg://user@host/dbname``. The schema is created or upgraded (Alembic)
        on opening.
    """

    def __init__(self, url: str):
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
            parsed.port  # noqa: B018 - a port that is not a number fails here
        except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
            raise RegisterError(f"register URL {mask_url(url)!r} is not an SQLAlchemy URL "
                                f"({str(exc).replace(url, mask_url(url))}), e.g. "
                                "sqlite:///register.sqlite or "
                                "postgresql+psycopg://user@host/db") from None
        self.display = parsed.render_as_string(hide_password=True)
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "",
                                                                              ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = sa.create_engine(parsed)
            self.upgrade()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise RegisterError(f"cannot open the register at {self.display}: {reason}") \
                from None
        except ModuleNotFoundError as exc:
            raise RegisterError(f"register {self.display} needs the database driver "
                                f"{exc.name!r}: pip install 'evaltools[postgres]'") from None
        except (sa.exc.SQLAlchemyError, ValueError, OverflowError, OSError) as exc:
            raise RegisterError(f"cannot open the register at {self.display}: "
                                f"{type(exc).__name__}: {_first_line(exc)}") from None

    def upgrade(self) -> None:
        """Bring the schema to the newest version (a no-op when it is current)."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @property
    def revision(self) -> str:
        """The schema version the database is at."""
        with self.engine.connect() as connection:
            return connection.execute(sa.text(
                "SELECT version_num FROM evaltools_register_version")).scalar_one()

    def add(self, rows: pd.DataFrame, *, source: str = "rows") -> tuple[int, int]:
        """Check ``rows`` and store those not yet present.

        Returns
        -------
        (added, already_present)
        """
        checked = check_rows(rows, source=source)
        if checked.empty:
            return 0, 0
        records = [{k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v)
                    for k, v in r.items()} for r in checked.to_dict("records")]
        studies = sorted({r["study"] for r in records})
        try:
            with self.engine.begin() as connection:
                # the rows already stored for these studies: one indexed query
                stored = {r["result_id"]: r for r in connection.execute(sa.select(results).where(
                    results.c.study.in_(studies))).mappings()}
                new, seen, conflicts = [], {}, []
                for number, r in enumerate(records, start=2):
                    earlier = seen.get(r["result_id"]) or stored.get(r["result_id"])
                    if earlier is None:
                        new.append(r)
                        seen[r["result_id"]] = r
                    elif not _same(earlier, r):
                        conflicts.append(_problem(
                            source, number, "result_id", r["result_id"][:12] + "...",
                            "the same result (same key columns) with other values than the "
                            "row already " + ("in the register" if r["result_id"] in stored
                                              else "earlier in this file") + ": differs in "
                            + ", ".join(c for c in COLUMN_NAMES if c not in _NOT_COMPARED
                                      and not _equal(earlier.get(c), r.get(c)))))
                if conflicts:
                    raise RegisterError(f"{len(conflicts)} conflicting row(s) in {source}; "
                                        "nothing was added:\n" + "\n".join(conflicts[:50]))
                if new:
                    connection.execute(_insert_ignoring_duplicates(self.engine), new)
        except sa.exc.SQLAlchemyError as exc:
            raise RegisterError(f"the register at {self.display} refused the rows of {source}: "
                                f"{type(exc).__name__}: {_first_line(exc)}") from None
        return len(new), len(records) - len(new)

    def retract(self, study: str, reason: str, *, organisation: str | None = None) -> int:
        """Withdraw every result of ``study``: it stays in the register's history (with the
        reason and the time) but no longer counts in :meth:`read`, current exports and the
        overview. Returns how many results were withdrawn now.

        Raises
        ------
        RegisterError
            Without a reason, or when the register holds no result of ``study``.
        """
        if not reason or not reason.strip():
            raise RegisterError("a retraction needs a reason (--reason), kept in the register")
        query = sa.select(results.c.result_id, results.c.organisation).where(
            results.c.study == study)
        if organisation is not None:
            query = query.where(results.c.organisation == organisation)
        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
            if not rows:
                raise RegisterError(f"the register at {self.display} holds no results of "
                                    f"study {study!r}")
            done = set(connection.execute(sa.select(withdrawn.c.result_id).where(
                withdrawn.c.study == study)).scalars())
            fresh = [{"result_id": rid, "organisation": org, "study": study,
                      "reason": reason.strip()[:1000], "withdrawn_at": when}
                     for rid, org in rows if rid not in done]
            if fresh:
                connection.execute(sa.insert(withdrawn), fresh)
        return len(fresh)

    def fingerprint(self) -> str:
        """SHA-256 over the current rows' ids: changes whenever what the overview shows does."""
        return rows_fingerprint(self.read(current=True)["result_id"])

    def withdrawn(self) -> pd.DataFrame:
        """The register's retractions: ``result_id, organisation, study, reason,
        withdrawn_at``."""
        with self.engine.connect() as connection:
            return pd.read_sql(sa.select(withdrawn).order_by(withdrawn.c.withdrawn_at),
                               connection)

    def holds(self, organisation: str, study: str, fingerprint: str) -> int:
        """How many rows of this study were computed from inputs with this fingerprint."""
        query = sa.select(sa.func.count()).select_from(results).where(
            results.c.organisation == organisation, results.c.study == study,
            results.c.inputs_fingerprint == fingerprint)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def read(self, *, current: bool = True) -> pd.DataFrame:
        """All rows (``current``: only the newest row per result), register columns."""
        query = sa.select(results)
        if current:
            query = query.where(results.c.result_id.not_in(sa.select(withdrawn.c.result_id)))
        with self.engine.connect() as connection:
            frame = pd.read_sql(query, connection)
        frame = frame.reindex(columns=COLUMN_NAMES)
        for col in COLUMNS:
            if col.kind == "integer":
                frame[col.name] = frame[col.name].astype("Int64")
            elif col.kind == "boolean":
                frame[col.name] = frame[col.name].astype("boolean")
        return current_rows(frame) if current else frame.sort_values("result_id").reset_index(
            drop=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def rows_fingerprint(result_ids) -> str:
    """SHA-256 over a set of result ids (order does not matter)."""
    return _hash(sorted(str(i) for i in result_ids))


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]


def _equal(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=0, equal_nan=True))
        except (TypeError, ValueError):
            return False
    return (a if a != "" else None) == (b if b != "" else None)


#: Columns that may differ between two recordings of one result (when, and a label).
_NOT_COMPARED = ("recorded_at", "site_name", "scale_label_nl", "scale_label_en")


def _same(stored: dict, offered: dict) -> bool:
    """Whether two rows with one result_id hold the same values (a true duplicate)."""
    return all(_equal(stored.get(c), offered.get(c)) for c in COLUMN_NAMES
               if c not in _NOT_COMPARED)


def _insert_ignoring_duplicates(engine):
    """INSERT that skips rows another writer added meanwhile (same result_id)."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(results).on_conflict_do_nothing(index_elements=["result_id"])
    if engine.dialect.name == "sqlite":
        return sqlite.insert(results).on_conflict_do_nothing(index_elements=["result_id"])
    return sa.insert(results)
