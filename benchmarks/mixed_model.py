"""Benchmark: the evaluation mixed models at 10,000 / 100,000 / 1,000,000 respondents,
side by side with R lme4::lmer on the same data in the same run.

Usage: .venv/bin/python benchmarks/mixed_model.py [--sizes 10000 100000 1000000] [--no-r]

Models (REML): the standard evaluation model, a score on intervention x wave (three waves,
15 % of later waves missing) with a random intercept per respondent, and the nested model
with respondents in 50 sites (random intercepts for site and respondent within site). Each
size and model is fitted in a fresh process by ``evaltools.analysis.effects.mixed_model``
(building the design, the fit and Satterthwaite's df: the whole call is timed); prints
seconds and the peak memory of that process. When ``Rscript`` with lme4 is present,
``benchmarks/mixed_model_lme4.R`` fits the same models on the same data (only ``lmer()``
timed) and the ratio evaltools / lme4 is printed (below 1: evaltools is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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
    table = mixed_model(panel, study, scales="brs", site_effect=sys.argv[3] == "nested")
    t2 = time.perf_counter()
    est = table.set_index("term")["estimate"].to_dict()
    print(json.dumps({"load": t1 - t0, "fit": t2 - t1, "estimates": est,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")
SITES = 50


def make_panel(n: int, seed: int = 7) -> pd.DataFrame:
    """n respondents x 3 waves in 50 sites, 15 % of later waves missing; true effects 0.3, 0.2."""
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"r{k}" for k in range(n)], 3)
    wave = np.tile(["t0", "t1", "t2"], n)
    treated = np.repeat(rng.integers(0, 2, n), 3)
    site = rng.integers(0, SITES, n)
    v = np.repeat(rng.normal(0, 0.3, SITES)[site], 3)
    u = np.repeat(rng.normal(0, 0.7, n), 3)
    effect = np.select([wave == "t1", wave == "t2"], [0.3, 0.2], 0.0) * treated
    trend = np.select([wave == "t1", wave == "t2"], [0.05, 0.08], 0.0)
    y = 3.5 + trend + effect + v + u + rng.normal(0, 0.55, 3 * n)
    panel = pd.DataFrame({"respondent_id": ids, "site": np.repeat(site, 3).astype(str),
                          "group": np.where(treated == 1, "interventie", "controle"),
                          "wave": wave, "wave_order": np.tile([0, 1, 2], n), "brs": y})
    panel["site"] = "site" + panel["site"]
    keep = (panel["wave"] == "t0") | (rng.random(len(panel)) > 0.15)
    return panel[keep].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-r", action="store_true", help="skip lme4 even if R is present")
    parser.add_argument("--keep", type=Path, help="keep the generated data in this folder")
    args = parser.parse_args()
    from evaltools.demo.files import generate_demo_study

    base = args.keep or Path(tempfile.mkdtemp(prefix="evaltools-lmm-"))
    study_dir = base / "study"
    if not study_dir.exists():
        generate_demo_study(study_dir, seed=1, n_sites=1, size=(5, 5))
    rscript = None if args.no_r else shutil.which("Rscript")
    script = Path(__file__).with_name("mixed_model_lme4.R")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
          f"{platform.python_version()}; lme4: {'Rscript ' + rscript if rscript else 'skipped'}")
    print("| respondents | observations | model | evaltools | peak RSS | lme4::lmer | ratio |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for n in args.sizes:
        panel = make_panel(n)
        path = base / f"panel_{n}.parquet"
        panel.to_parquet(path)
        r_fits = {}
        if rscript:
            csv = base / f"panel_{n}.csv"
            panel.to_csv(csv, index=False)
            done = subprocess.run([rscript, str(script), str(csv)], capture_output=True,
                                  text=True, check=True)
            for line in done.stdout.strip().splitlines():
                record = json.loads(line)
                if "model" in record:
                    r_fits[record["model"]] = record
                else:
                    r_versions = record["versions"]
            csv.unlink()
        for model in ("standard", "nested"):
            done = subprocess.run([sys.executable, "-c", CHILD, str(study_dir), str(path), model],
                                  capture_output=True, text=True, check=True)
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            est = figures["estimates"]
            r = r_fits.get(model)
            lme4 = f"{r['fit']:.1f} s" if r else "-"
            ratio = f"{figures['fit'] / r['fit']:.2f}" if r else "-"
            print(f"| {n:,} | {len(panel):,} | {model} | {figures['fit']:.1f} s | "
                  f"{figures['rss_mib']:.0f} MiB | {lme4} | {ratio} |", flush=True)
            check = (f"    intervention x t1 = {est['intervention x t1']:.4f}, x t2 = "
                     f"{est['intervention x t2']:.4f} (true 0.3, 0.2)")
            if r:
                check += (f"; lme4 {r['wavet1_treated']:.4f}, {r['wavet2_treated']:.4f}")
            print(check, flush=True)
    if rscript and r_fits:
        print(r_versions)


if __name__ == "__main__":
    main()
