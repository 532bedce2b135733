"""Benchmark: scoring 200,000 respondents x 60 items across several instruments.

Usage: .venv/bin/python benchmarks/scoring.py [--respondents 200000] [--repeat 5]

Prints item-responses per second for the long (score_scales) and wide (score_table) results,
the consistency check and reliability, and peak memory. Issue 3's aim: well over 10 million
item-responses per second.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

from evaltools.instruments.library import get_instrument
from evaltools.instruments.reliability import reliability
from evaltools.instruments.scoring import flag_inconsistent, score_scales, score_table

INSTRUMENTS = ("brs", "who5", "mspss", "umics", "djg6", "cohesion", "digres_example")
TARGET = 10_000_000


def make_data(n: int, seed: int = 1) -> tuple[pd.DataFrame, list]:
    rng = np.random.default_rng(seed)
    instruments = [get_instrument(i) for i in INSTRUMENTS]
    columns = {"respondent_id": np.arange(n).astype(str), "wave": rng.choice(["t0", "t1"], n)}
    for inst in instruments:
        trait = rng.normal(size=n)
        for item in inst.items:
            values = np.array(inst.response_scales[item.response_scale].values, dtype=float)
            idx = np.clip(np.round((trait + rng.normal(size=n)) * len(values) / 4
                                   + (len(values) - 1) / 2), 0, len(values) - 1).astype(int)
            answers = values[idx]
            answers[rng.random(n) < 0.02] = np.nan
            answers[rng.random(n) < 0.01] = 9
            columns[item.id] = answers
    return pd.DataFrame(columns), instruments


def timed(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data, instruments = make_data(args.respondents)
    n_items = sum(len(i.items) for i in instruments)
    responses = args.respondents * n_items
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"data: {args.respondents:,} respondents x {n_items} items "
          f"({len(instruments)} instruments, "
          f"{sum(len(i.scales) for i in instruments)} scales) = {responses:,} item-responses")
    score_table(data.head(1000), instruments)  # warm up
    for name, func in (("score_table (wide)", lambda: score_table(data, instruments)),
                       ("score_scales (long)", lambda: score_scales(data, instruments)),
                       ("flag_inconsistent", lambda: flag_inconsistent(data, instruments))):
        seconds = timed(func, args.repeat)
        rate = responses / seconds
        print(f"{name:<22} median {seconds:6.3f} s  {rate / 1e6:7.1f} M item-responses/s  "
              f"({rate / TARGET:.1f}x the 10 M/s aim)")
    seconds = timed(lambda: reliability(data, instruments, by=["wave"]), 1)
    print(f"{'reliability by wave':<22} {seconds:6.3f} s (alpha, CI, omega for every scale)")
    tracemalloc.start()
    score_scales(data, instruments)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory of score_scales (tracemalloc): {peak / 2**20:.0f} MiB; input frame "
          f"{data.memory_usage(deep=True).sum() / 2**20:.0f} MiB")
    print(f"peak RSS of this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")


if __name__ == "__main__":
    main()
