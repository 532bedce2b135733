"""Recovery check: do the estimators find the simulator's true effects?

Usage: .venv/bin/python benchmarks/recovery.py [--studies 200] [--workers 2]
                                               [--design controlled|randomised]

Simulates many demo studies (each with its own seed, so its own site effects), scores them,
runs each estimator, and compares the estimate with that study's true effect on the treated
(``truth/true_effects.csv``, all sites): the share of 95 % intervals that cover it (should be
close to 95 %), the bias, the mean standard error and the RMSE, per estimator, scale and wave.

Expected: difference in differences and the mixed model (both assume parallel trends, which the
simulator satisfies) cover near 95 % in the quasi-experimental demo design; ANCOVA under-adjusts
the groups' baseline difference (Lord's paradox) there and is unbiased only when randomised;
the intervention group's own pre-post change also contains the maturation trend.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import pandas as pd

SCALES = ("brs", "digres", "democit")
_STUDY = None


def _init(folder: str) -> None:
    global _STUDY
    from evaltools.study.load import load_study

    _STUDY = load_study(folder)


def _panel(sim) -> pd.DataFrame:
    from evaltools.instruments.scoring import score_table

    responses = (sim.responses.sort_values("submitted_at", kind="stable")
                 .drop_duplicates(["respondent_id", "wave"], keep="last"))
    panel = score_table(responses, sim.instruments,
                        keys=["respondent_id", "site", "group", "wave"])
    return panel.assign(wave_order=panel["wave"].map({"t0": 0, "t1": 1, "t2": 2}))


def one_study(args: tuple[int, str]) -> list[dict]:
    seed, design = args
    from evaltools.analysis.effects import ancova, diff_in_diff, mixed_model, within_change
    from evaltools.demo.simulate import simulate_study

    study = _STUDY
    sim = simulate_study(seed=seed, design=design)
    panel = _panel(sim)
    truth = sim.true_effects[sim.true_effects["site"] == "all"].set_index(["scale", "wave"])
    rows = []

    def add(estimator, scale, wave, est, se, low, high):
        rows.append({"seed": seed, "estimator": estimator, "scale": scale, "wave": wave,
                     "estimate": est, "se": se, "ci_low": low, "ci_high": high,
                     "truth": truth.loc[(scale, wave), "att_score"]})

    for table, name in ((diff_in_diff(panel, study, scales=list(SCALES)), "diff_in_diff"),
                        (ancova(panel, study, scales=list(SCALES)), "ancova")):
        for r in table.itertuples():
            add(name, r.scale, r.wave, r.estimate, r.se, r.ci_low, r.ci_high)
    model = mixed_model(panel, study, scales=list(SCALES))
    for r in model[model["term"].str.startswith("intervention")].itertuples():
        add("mixed_model", r.scale, r.wave, r.estimate, r.se, r.ci_low, r.ci_high)
    change = within_change(panel, study, scales=list(SCALES), by_site=False)
    for r in change[change["group"] == "interventie"].itertuples():
        add("pre_post_change_intervention_only", r.scale, r.wave_post, r.mean_change, r.se,
            r.ci_low, r.ci_high)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--design", choices=["controlled", "randomised"], default="controlled")
    parser.add_argument("--first-seed", type=int, default=1000)
    args = parser.parse_args()
    from evaltools.demo.files import generate_demo_study

    folder = Path(tempfile.mkdtemp(prefix="evaltools-recovery-")) / "study"
    generate_demo_study(folder, seed=1, size=(5, 5))  # only its study.yml is used
    t0 = time.perf_counter()
    jobs = [(args.first_seed + k, args.design) for k in range(args.studies)]
    with Pool(args.workers, initializer=_init, initargs=(str(folder),)) as pool:
        rows = [r for batch in pool.imap_unordered(one_study, jobs) for r in batch]
    seconds = time.perf_counter() - t0
    data = pd.DataFrame(rows)
    data["covered"] = (data["ci_low"] <= data["truth"]) & (data["truth"] <= data["ci_high"])
    data["error"] = data["estimate"] - data["truth"]
    summary = data.groupby(["estimator", "scale", "wave"], sort=True).agg(
        studies=("seed", "nunique"), coverage=("covered", "mean"), bias=("error", "mean"),
        mean_se=("se", "mean"), rmse=("error", lambda e: float(np.sqrt(np.mean(e**2)))),
        mean_truth=("truth", "mean")).reset_index()
    print(f"machine: {platform.machine()}, CPython {platform.python_version()}; "
          f"{args.studies} simulated {args.design} demo studies (seeds {args.first_seed}.."
          f"{args.first_seed + args.studies - 1}) in {seconds:.0f} s with {args.workers} "
          "workers")
    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print(summary.round(4).to_string(index=False))
    main_rows = summary[summary["estimator"].isin(["diff_in_diff", "mixed_model"])]
    print(f"main estimators (diff_in_diff, mixed_model): coverage "
          f"{main_rows['coverage'].min():.3f} to {main_rows['coverage'].max():.3f} "
          "(target 0.93 to 0.97)")


if __name__ == "__main__":
    main()
