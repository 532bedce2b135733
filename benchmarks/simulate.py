"""Benchmark: generating the demo study (simulation plus writing CSV, Excel and SPSS files).

Usage: .venv/bin/python benchmarks/simulate.py [--sites 6] [--repeat 3]

Prints wall time per phase and peak memory (tracemalloc: Python allocations, numpy included).
No target is set by an issue; the figures are a baseline to notice regressions against.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from evaltools.demo.files import generate_demo_study
from evaltools.demo.simulate import simulate_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    simulate_study(n_sites=1, size=(10, 10))  # warm imports and the instrument cache
    sim_times, gen_times = [], []
    for k in range(args.repeat):
        t0 = time.perf_counter()
        sim = simulate_study(seed=k, n_sites=args.sites)
        sim_times.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            generate_demo_study(Path(tmp) / "demo", seed=k, n_sites=args.sites)
            gen_times.append(time.perf_counter() - t0)
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp:
        generate_demo_study(Path(tmp) / "demo", seed=0, n_sites=args.sites)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}")
    print(f"demo study: {args.sites} sites, {len(sim.participants)} respondents, "
          f"{len(sim.responses)} submissions x {sim.responses.shape[1]} columns")
    print(f"simulate in memory: median {statistics.median(sim_times):.2f} s "
          f"over {args.repeat} runs")
    print(f"simulate + write files: median {statistics.median(gen_times):.2f} s "
          f"over {args.repeat} runs")
    print(f"peak traced memory (simulate + write): {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
