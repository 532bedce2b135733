"""Write effects_sim.csv: a small simulated three-wave study for the R reference values.

    ../../.venv/bin/python make_effects_sim.py
"""

from pathlib import Path

import numpy as np
import pandas as pd


def simulate() -> pd.DataFrame:
    """The simulated study (fixed seed: the same rows every time)."""
    rng = np.random.default_rng(20241128)
    rows = []
    for site in range(4):
        site_level = rng.normal(0, 0.3)
        for k in range(40):
            rid = f"s{site}r{k:02d}"
            group = "interventie" if k % 2 == 0 else "controle"
            sub = ["a", "b", "c"][k % 3]
            u = rng.normal(0, 0.8)
            for w, wave in enumerate(["t0", "t1", "t2"]):
                effect = {0: 0, 1: 0.5, 2: 0.3}[w] * (group == "interventie")
                if sub == "c":
                    effect *= 1.8
                y = 3 + site_level + 0.1 * w + effect + u + rng.normal(0, 0.6)
                if w > 0 and rng.random() < 0.12:
                    continue  # missed this wave
                rows.append((rid, f"site{site}", group, sub, wave, round(y, 4)))
    return pd.DataFrame(rows, columns=["respondent", "site", "group", "subgroup", "wave", "y"])


if __name__ == "__main__":  # never on import (pytest's doctest collection imports this file)
    simulate().to_csv(Path(__file__).with_name("effects_sim.csv"), index=False)
