"""Benchmark: the evidence register at the scale of a national programme.

Usage: .venv/bin/python benchmarks/register.py [--studies 200] [--sites 10] [--postgres URL]
       [--overview]

Builds synthetic register rows (studies x (sites + 1) x 18 scales x 2 later waves; 20
interventions), then times on SQLite (and on PostgreSQL when a server URL is given, e.g. the
one .ci/start-postgres prints; a fresh database is created and dropped): adding every row, adding
them again (a no-op), reading the current rows, exporting to CSV and Parquet, importing the CSV
into an empty register and importing it again (a no-op), and pooling per intervention and scale
(register_synthesis). Issue 8 names no target; the figures are recorded in RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_rows(n_studies: int, n_sites: int, seed: int = 1) -> pd.DataFrame:
    from evaltools.register import result_id
    from evaltools.register.columns import COLUMN_NAMES

    rng = np.random.default_rng(seed)
    scales = [f"scale{k:02d}" for k in range(18)]
    records = []
    for s in range(n_studies):
        intervention = f"intervention-{s % 20:02d}"
        fingerprint = f"{s:064x}"
        for site in [f"site-{k:02d}" for k in range(n_sites)] + ["all"]:
            size = 60 * (n_sites if site == "all" else 1)
            for k, scale in enumerate(scales):
                for wave, months in (("t1", 0.0), ("t2", 6.0)):
                    d = rng.normal(0.2, 0.15)
                    se = 2 / np.sqrt(2 * size)
                    records.append(dict(
                        organisation=f"org-{s % 7}", study=f"study-{s:03d}",
                        intervention=intervention, site=site,
                        protective_factor=f"factor-{k % 8}", instrument=f"{scale} 1.0",
                        scale=scale, direction="higher_is_better", design="controlled",
                        wave_pre="t0", wave_post=wave, follow_up_months=months,
                        method="diff_in_diff", n=2 * size, n_intervention=size,
                        n_comparison=size, min_cell_size=10, effect_size=d,
                        effect_size_type="morris_dppc2", se=se, ci_low=d - 1.96 * se,
                        ci_high=d + 1.96 * se, ci_level=0.95,
                        p_value=float(min(1.0, 2 * np.exp(-abs(d / se)))),
                        wwc_rating="meets_with_reservations" if site == "all" else "",
                        evidence_level="goede_aanwijzingen" if site == "all" else "",
                        well_described=True, well_founded=True,
                        inputs_fingerprint=fingerprint, evaltools_version="bench",
                        recorded_at="2026-11-28T00:00:00Z", site_name=site.title(),
                        arm=None, comparison_arm=None,  # one pair of arms per study
                        scale_label_nl=f"Schaal {k}", scale_label_en=f"Scale {k}"))
    frame = pd.DataFrame(records)
    frame["result_id"] = [result_id(r) for r in records]
    return frame[COLUMN_NAMES]


def _time(label: str, func):
    t0 = time.perf_counter()
    out = func()
    took = time.perf_counter() - t0
    print(f"  {label}: {took:.2f} s" + (f" -> {out}" if out is not None else ""))
    return out


def bench(url: str, rows: pd.DataFrame, folder: Path) -> None:
    from evaltools.analysis.synthesis import register_synthesis
    from evaltools.register import Register
    from evaltools.register.exchange import export_register, import_register

    with Register(url) as register:
        _time("add all rows", lambda: register.add(rows))
        _time("add again (no-op)", lambda: register.add(rows))
        current = _time("read current rows", lambda: len(register.read()))
        _time("export CSV", lambda: export_register(register, folder / "all.csv")[1])
        _time("export Parquet", lambda: export_register(register, folder / "all.parquet")[1])
        _time("pool per intervention and scale",
              lambda: len(register_synthesis(register.read())[1]))
    assert current == len(rows)
    target = url + "_import" if url.startswith("postgresql") else \
        url.replace(".sqlite", "-import.sqlite")
    if url.startswith("postgresql"):
        _create(target)
    with Register(target) as other:
        _time("import CSV into an empty register", lambda: import_register(
            other, folder / "all.csv"))
        _time("import it again (no-op)", lambda: import_register(other, folder / "all.csv"))
    if url.startswith("postgresql"):
        _drop(target)
    for path in (folder / "all.csv", folder / "all.parquet"):
        print(f"  {path.name}: {path.stat().st_size / 2**20:.1f} MiB")


def _admin(url: str, statement: str) -> None:
    """Run ``statement`` (with ``{name}``, the URL's database) on the server's postgres db."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(statement.format(name=parsed.database)))
    admin.dispose()


def _create(url: str) -> None:
    _admin(url, 'CREATE DATABASE "{name}"')


def _drop(url: str) -> None:
    _admin(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def overview(url: str, folder: Path, n_rows: int) -> None:
    from evaltools.register import Register
    from evaltools.reports.overview import render_overview

    with Register(url) as register:
        for limit in (40, 10**6):
            t0 = time.perf_counter()
            page = render_overview(register, reports_dir=folder / f"overview-{limit}",
                                   language="en", max_forest_plots=limit)
            took = time.perf_counter() - t0
            print(f"  overview (max_forest_plots={limit}): {took:.1f} s, "
                  f"{page.html.stat().st_size / 2**20:.1f} MiB of HTML")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--postgres", metavar="URL",
                        default=os.environ.get("EVALTOOLS_TEST_POSTGRES_URL"))
    parser.add_argument("--overview", action="store_true",
                        help="Also render the overview (English) of the SQLite register, "
                             "with max_forest_plots 40 and with a plot per outcome.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="evaltools-register-"))
    t0 = time.perf_counter()
    rows = synthetic_rows(args.studies, args.sites)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
          f"{platform.python_version()}; {len(rows):,} rows ({args.studies} studies x "
          f"{args.sites + 1} sites x 18 scales x 2 waves), built in "
          f"{time.perf_counter() - t0:.1f} s")
    print("SQLite:")
    bench(f"sqlite:///{folder / 'register.sqlite'}", rows, folder)
    if args.overview:
        overview(f"sqlite:///{folder / 'register.sqlite'}", folder, len(rows))
    if args.postgres:
        import sqlalchemy as sa

        name = f"bench_{uuid.uuid4().hex[:8]}"
        url = sa.engine.make_url(args.postgres).set(database=name).render_as_string(
            hide_password=False)
        _create(url)
        print("PostgreSQL:")
        try:
            bench(url, rows, folder)
        finally:
            _drop(url)


if __name__ == "__main__":
    main()
