"""Benchmark: ingesting 100,000 respondents x 3 waves x 60 items from CSV.

Usage: .venv/bin/python benchmarks/ingest.py [--respondents 100000] [--sites 10] [--keep DIR]
                                             [--repeat 3]

Writes a study (CSV files with ';', decimal commas and a UTF-8 byte-order mark, one per site and
wave), then ingests it in a fresh process (read, validate, pseudonymise, store) and builds the
scored panel, printing seconds and the peak memory of that process. Issue 4's aim: under 30 s
and under 4 GB. Issue 19's: ingest within 3x of its floor, reading the same files with
``pandas.read_csv(dtype=str)`` in a fresh process (alternating with the ingest, medians).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.instruments.library import get_instrument

INSTRUMENTS = ("brs", "who5", "mspss", "umics", "djg6", "cohesion", "digres_example")
WAVES = (("t0", "baseline"), ("t1", "post"), ("t2", "follow_up"))


def write_study(folder: Path, n: int, n_sites: int, seed: int = 1) -> int:
    rng = np.random.default_rng(seed)
    instruments = [get_instrument(i) for i in INSTRUMENTS]
    sites = [f"site-{k:02d}" for k in range(n_sites)]
    study = {
        "schema_version": 1, "id": "bench", "title": "Ingest benchmark",
        "intervention": {"name": "bench", "protective_factors": ["resilience"]},
        "design": "controlled",
        "groups": [{"id": "interventie", "role": "intervention"},
                   {"id": "controle", "role": "comparison"}],
        "waves": [{"id": w, "order": i, "role": r} for i, (w, r) in enumerate(WAVES)],
        "sites": [{"id": s} for s in sites],
        "instruments": list(INSTRUMENTS),
        "data": {"raw_dir": "data/raw",
                 "files": [{"pattern": f"{w}/*", "wave": w} for w, _ in WAVES],
                 "columns": {"respondent_id": "resp_nr", "site": "locatie", "group": "groep",
                             "submitted_at": "ingevuld_op"},
                 "identifiers": ["naam"]},
    }
    folder.mkdir(parents=True)
    (folder / "study.yml").write_text(json.dumps(study, indent=1), "utf-8")  # JSON is YAML
    ids = np.arange(100000, 100000 + n).astype(str)
    site_of = rng.integers(0, n_sites, n)
    group_of = rng.choice(["interventie", "controle"], n)
    n_items = 0
    for wave, _ in WAVES:
        columns = {"resp_nr": ids, "locatie": np.array(sites)[site_of], "groep": group_of,
                   "ingevuld_op": "15-09-2024 14:32", "naam": "Naam Achternaam"}
        for inst in instruments:
            trait = rng.normal(size=n)
            for item in inst.items:
                values = np.array(inst.response_scales[item.response_scale].values)
                idx = np.clip(np.round((trait + rng.normal(size=n)) * len(values) / 4
                                       + (len(values) - 1) / 2), 0, len(values) - 1).astype(int)
                cell = values[idx].astype(str).astype(object)
                cell[rng.random(n) < 0.02] = ""
                cell[rng.random(n) < 0.01] = "9"
                columns[item.id] = cell
        n_items = sum(len(i.items) for i in instruments)
        frame = pd.DataFrame(columns)
        (folder / "data" / "raw" / wave).mkdir(parents=True)
        for k, site in enumerate(sites):
            frame[site_of == k].to_csv(folder / "data" / "raw" / wave / f"{site}_{wave}.csv",
                                       sep=";", index=False, encoding="utf-8-sig")
    return n_items


CHILD = textwrap.dedent("""
    import json, sys, time, resource
    t0 = time.perf_counter()
    from evaltools.data.ingest import ingest
    from evaltools.data.panel import load_panel
    from evaltools.data.pseudonym import create_key
    from evaltools.study import load_study
    study = load_study(sys.argv[1])
    create_key(study)
    t1 = time.perf_counter()
    result = ingest(study)
    t2 = time.perf_counter()
    rss_ingest = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    panel = load_panel(study)
    t3 = time.perf_counter()
    again = ingest(study)
    t4 = time.perf_counter()
    print(json.dumps({"import": t1 - t0, "ingest": t2 - t1, "panel": t3 - t2,
                      "noop": t4 - t3, "rows": int(result.summary()["rows"].sum()),
                      "accepted": result.count("accepted"), "panel_rows": len(panel),
                      "unchanged": again.count("unchanged"),
                      "rss_ingest_mib": rss_ingest,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

#: The floor: the same files read as text by pandas, nothing else.
FLOOR = textwrap.dedent("""
    import json, sys, time, resource
    from pathlib import Path
    t0 = time.perf_counter()
    import pandas as pd
    t1 = time.perf_counter()
    rows = 0
    for path in sorted(Path(sys.argv[1]).rglob("*.csv")):
        rows += len(pd.read_csv(path, dtype=str, sep=";", encoding="utf-8-sig"))
    t2 = time.perf_counter()
    print(json.dumps({"read": t2 - t1, "rows": rows,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="write the study here and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="ingest and floor runs each")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="evaltools-bench-"))
    folder = base / "study"
    t0 = time.perf_counter()
    n_items = write_study(folder, args.respondents, args.sites)
    size = sum(p.stat().st_size for p in (folder / "data").rglob("*.csv"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}")
    print(f"study: {args.respondents:,} respondents x 3 waves x {n_items} items, "
          f"{args.sites} sites -> {3 * args.sites} CSV files, {size / 2**20:.0f} MiB "
          f"(written in {time.perf_counter() - t0:.1f} s)")
    runs, floors = [], []
    for k in range(args.repeat):  # alternating: the floor, then a fresh ingest (new key)
        shutil.rmtree(folder / "store", ignore_errors=True)
        env = dict(os.environ, EVALTOOLS_HOME=str(base / f"home{k}"))
        floor = subprocess.run([sys.executable, "-c", FLOOR, str(folder / "data" / "raw")],
                               capture_output=True, text=True, env=env, check=True)
        floors.append(json.loads(floor.stdout.strip().splitlines()[-1]))
        done = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True,
                              text=True, env=env, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    figures = runs[-1]
    ingest_s = statistics.median(r["ingest"] for r in runs)
    floor_s = statistics.median(f["read"] for f in floors)
    print(f"ingest (read, validate, pseudonymise, store): {ingest_s:.2f} s for "
          f"{figures['rows']:,} rows in {figures['accepted']} files "
          f"({ingest_s / 30:.2f}x the 30 s budget); median of {args.repeat}")
    print(f"floor, read_csv(dtype=str) of the same files: {floor_s:.2f} s; ingest = "
          f"{ingest_s / floor_s:.2f}x the floor (aim: 3x)")
    print(f"load_panel (scores for every scale): {figures['panel']:.1f} s, "
          f"{figures['panel_rows']:,} rows")
    print(f"second ingest, nothing changed: {figures['noop']:.2f} s "
          f"({figures['unchanged']} files unchanged)")
    print(f"peak memory of the ingesting process: {figures['rss_ingest_mib']:.0f} MiB after "
          f"ingest ({figures['rss_ingest_mib'] / 4096:.2f}x the 4 GB budget), "
          f"{figures['rss_mib']:.0f} MiB after load_panel; the floor's process: "
          f"{floors[-1]['rss_mib']:.0f} MiB")
    if not args.keep:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
