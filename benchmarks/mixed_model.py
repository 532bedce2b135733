"""Benchmark: the standard evaluation mixed model on 10,000 and 100,000 respondents.

Usage: .venv/bin/python benchmarks/mixed_model.py [--sizes 10000 100000]

Model: a scale score on intervention x wave (three waves), random intercept per respondent,
REML (evaltools.analysis.effects.mixed_model, statsmodels MixedLM). Each size is fitted in a fresh
process; prints seconds and the peak memory of that process. The figures are to be compared
with R lme4::lmer on the same data (the script writes the data with --keep DIR for that).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = textwrap.dedent("""
    import json, resource, sys, time
    import pandas as pd
    t0 = time.perf_counter()
    from evaltools.analysis.effects import mixed_model
    from evaltools.study import load_study
    study = load_study(sys.argv[1])
    panel = pd.read_parquet(sys.argv[2])
    t1 = time.perf_counter()
    table = mixed_model(panel, study, scales="brs")
    t2 = time.perf_counter()
    est = table.set_index("term")["estimate"].to_dict()
    print(json.dumps({"load": t1 - t0, "fit": t2 - t1, "estimates": est,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def make_panel(n: int, seed: int = 7) -> pd.DataFrame:
    """n respondents x 3 waves, 15 % of later waves missing; true effects 0.3 and 0.2."""
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"r{k}" for k in range(n)], 3)
    wave = np.tile(["t0", "t1", "t2"], n)
    treated = np.repeat(rng.integers(0, 2, n), 3)
    u = np.repeat(rng.normal(0, 0.7, n), 3)
    effect = np.select([wave == "t1", wave == "t2"], [0.3, 0.2], 0.0) * treated
    trend = np.select([wave == "t1", wave == "t2"], [0.05, 0.08], 0.0)
    y = 3.5 + trend + effect + u + rng.normal(0, 0.55, 3 * n)
    panel = pd.DataFrame({"respondent_id": ids, "site": "site0",
                          "group": np.where(treated == 1, "interventie", "controle"),
                          "wave": wave, "wave_order": np.tile([0, 1, 2], n), "brs": y})
    keep = (panel["wave"] == "t0") | (rng.random(len(panel)) > 0.15)
    return panel[keep].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", type=Path, help="keep the generated data in this folder")
    args = parser.parse_args()
    from evaltools.demo.files import generate_demo_study

    base = args.keep or Path(tempfile.mkdtemp(prefix="evaltools-lmm-"))
    study_dir = base / "study"
    if not study_dir.exists():
        generate_demo_study(study_dir, seed=1, n_sites=1, size=(5, 5))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
          f"{platform.python_version()}")
    for n in args.sizes:
        panel = make_panel(n)
        path = base / f"panel_{n}.parquet"
        panel.to_parquet(path)
        if args.keep:
            panel.to_csv(base / f"panel_{n}.csv", index=False)  # for lme4
        done = subprocess.run([sys.executable, "-c", CHILD, str(study_dir), str(path)],
                              capture_output=True, text=True, check=True)
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        est = figures["estimates"]
        print(f"{n:>7,} respondents, {len(panel):>7,} observations: fit {figures['fit']:7.1f} s, "
              f"peak RSS {figures['rss_mib']:6.0f} MiB; intervention x t1 = "
              f"{est['intervention x t1']:.3f} (true 0.3), x t2 = {est['intervention x t2']:.3f} "
              "(true 0.2)")


if __name__ == "__main__":
    main()
