"""Planning benchmarks: an analytic grid of 10,000 design points, and 1,000 simulated studies.

Usage: .venv/bin/python benchmarks/planning.py [--studies 1000] [--grid-only | --study-only]

Prints the seconds for the analytic grid (power and MDES at every point), the seconds per
simulated study (draw + analyse) for one design point on 1 and on 2 local worker processes, and
the speed-up from 1 to 2 workers, and the seconds per study drawn by the project's simulator
(``generator="study"``: item answers drawn, scored and analysed).
"""

from __future__ import annotations

import argparse
import platform
import time

from evaltools.analysis.planning import PlanDesign, SimulationPlan, plan_grid, simulate_power


def grid() -> None:
    design = PlanDesign("cluster_randomised", cluster_size=20)
    start = time.perf_counter()
    table = plan_grid(design, effect=[0.1, 0.2, 0.3, 0.4], clusters=list(range(6, 56)),
                      icc=[0.01, 0.02, 0.05, 0.1, 0.2], r2_cluster=[0.0, 0.25, 0.5, 0.75, 0.9],
                      cluster_size=[10, 20])
    seconds = time.perf_counter() - start
    print(f"analytic grid: {len(table):,} design points (power + MDES) in {seconds:.2f} s "
          f"({len(table) / seconds:,.0f} points/s)")


def simulation(studies: int) -> None:
    plan = SimulationPlan(PlanDesign("ancova", r_pre_post=0.5, attrition=(0.2,)), effect=0.3,
                          n=200)
    out = {}
    for workers in (1, 2):
        row = simulate_power(plan, n_sims=studies, seed=1, workers=workers,
                             chunk_size=25).iloc[0]
        out[workers] = row
        print(f"simulation, {workers} worker(s): {studies} studies in {row['seconds']:.1f} s = "
              f"{row['seconds'] / studies * 1000:.0f} ms per study; power {row['power']:.3f} "
              f"(MC SE {row['power_mc_se']:.3f})")
    print(f"speed-up 1 -> 2 workers: {out[1]['seconds'] / out[2]['seconds']:.2f}x")


def simulation_study(studies: int) -> None:
    """Seconds per study drawn by the project's simulator (item answers, scored, analysed)."""
    plan = SimulationPlan(PlanDesign("ancova", r_pre_post=0.5, attrition=(0.2,)), effect=0.3,
                          n=200, generator="study")
    simulate_power(plan, n_sims=2, seed=0)  # warm the instrument library and calibration
    row = simulate_power(plan, n_sims=studies, seed=1, chunk_size=25).iloc[0]
    print(f"simulation by the project's simulator, 1 worker: {studies} studies in "
          f"{row['seconds']:.1f} s = {row['seconds'] / studies * 1000:.0f} ms per study; power "
          f"{row['power']:.3f} (MC SE {row['power_mc_se']:.3f}), true d on the scale "
          f"{row['true_effect']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--studies", type=int, default=1000)
    parser.add_argument("--grid-only", action="store_true")
    parser.add_argument("--study-only", action="store_true",
                        help="Only the project-simulator generator.")
    args = parser.parse_args()
    print(f"{platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}")
    if args.study_only:
        simulation_study(args.studies)
        return
    grid()
    if not args.grid_only:
        simulation(args.studies)
        simulation_study(args.studies)


if __name__ == "__main__":
    main()
