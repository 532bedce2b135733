"""Benchmark: scoring 200,000 respondents x 60 items across several instruments.

Usage: .venv/bin/python benchmarks/scoring.py [--respondents 200000] [--repeat 5]

Prints item-responses per second for the long (score_scales) and wide (score_table) results,
the consistency check and reliability, and peak memory. Issue 3's aim: well over 10 million
item-responses per second. Issue 19's: ``score_table`` within 2x of its floor, numpy applying
the same rules (missing codes to NaN, reverse keys and recodes, a mean with a minimum of valid
items) to the same DataFrame, timed alternately.
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


def rules(instruments) -> list:
    """What the floor needs, prepared before timing: per instrument its item columns, each
    item's answer values and their scored values, the missing codes, and its scales."""
    out = []
    for inst in instruments:
        items = []
        for item in inst.items:
            answers, scored = inst.scored_values(item.id)
            items.append((item.id, answers, scored))
        position = {item_id: j for j, item_id in enumerate(inst.item_ids)}
        scales = [(scale.id, [position[i] for i in scale.items], scale.min_valid,
                   scale.method == "mean" or scale.prorate,
                   len(scale.items) if scale.method != "mean" and scale.prorate else 1)
                  for scale in inst.scales]
        out.append((items, scales))
    return out


def numpy_floor(data: pd.DataFrame, prepared: list) -> dict:
    """The same scoring in plain numpy: each value looked up among the item's answers (missing
    codes and anything else become NaN), then a mean (or sum) with a minimum of valid items."""
    scores = {}
    for items, scales in prepared:
        matrix = np.empty((len(data), len(items)))
        for j, (item_id, answers, scored) in enumerate(items):
            values = data[item_id].to_numpy(dtype=float)
            index = np.searchsorted(answers, values).clip(0, len(answers) - 1)
            matrix[:, j] = np.where(answers[index] == values, scored[index], np.nan)
        for scale_id, positions, min_valid, averaged, factor in scales:
            block = matrix[:, positions]
            answered = ~np.isnan(block)
            n_valid = answered.sum(axis=1)
            total = np.where(answered, block, 0.0).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                raw = total / n_valid * factor if averaged else total
            scores[scale_id] = np.where(n_valid >= min_valid, raw, np.nan)
    return scores


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
    prepared = rules(instruments)
    floor = numpy_floor(data, prepared)
    table = score_table(data, instruments)
    same = all(np.allclose(table[k].to_numpy(dtype=float), v, equal_nan=True)
               for k, v in floor.items() if not any(s.id == k and s.conversion is not None
                                                    for i in instruments for s in i.scales))
    floor_times, table_times = [], []
    for _ in range(args.repeat):  # alternating: the floor, then score_table
        floor_times.append(timed(lambda: numpy_floor(data, prepared), 1))
        table_times.append(timed(lambda: score_table(data, instruments), 1))
    floor_s, table_s = statistics.median(floor_times), statistics.median(table_times)
    print(f"score_table median {table_s:.3f} s; floor (numpy, same rules, same DataFrame) "
          f"median {floor_s:.3f} s; score_table = {table_s / floor_s:.2f}x the floor (aim: 2x); "
          f"same scores as the floor: {same}")
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
