"""A tiny study whose outcomes are numbers (weight in kg, days absent): built in a test's
temporary folder, with two CSV wave files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

INSTRUMENT = """\
format: 1
id: body
version: "1.0"
title: {nl: Lichaam en verzuim, en: Body and absence}
construct: {nl: gezondheid, en: health}
protective_factor: wellbeing
level: individual
citation: "evaltools test instrument, not validated"
licence: {name: CC0, items_shippable: true}
validated: false
response_scales:
  kg:
    type: numeric
    min: 30
    max: 200
    decimals: 1
    unit: {nl: kg, en: kg}
    missing: {-9: {nl: niet gemeten, en: not measured}}
  days:
    type: count
    min: 0
    max: 60
items:
  - {id: weight, response_scale: kg}
  - {id: absent, response_scale: days}
scales:
  - id: weight
    label: {nl: Gewicht (kg), en: Weight (kg)}
    items: [weight]
    method: mean
    min_valid: 1
    range: [30, 200]
    direction: higher_is_worse
  - id: absent
    label: {nl: Verzuimdagen, en: Days absent}
    items: [absent]
    method: sum
    min_valid: 1
    range: [0, 60]
    direction: higher_is_worse
"""

STUDY = """\
schema_version: 1
id: numeric-test
title: {nl: Numerieke uitkomsten, en: Numeric outcomes}
intervention: {name: Beweegprogramma, protective_factors: [wellbeing]}
design: pre_post
waves:
  - {id: t0, order: 0, role: baseline}
  - {id: t1, order: 1, role: post}
sites:
  - {id: a, name: Site A}
instruments: [body]
data:
  raw_dir: data/raw
  files:
    - {pattern: "t0*", wave: t0}
    - {pattern: "t1*", wave: t1}
  columns: {respondent_id: resp}
disclosure: {min_cell_size: 5}
"""


def write_numeric_study(folder: Path, n: int = 40, seed: int = 3) -> Path:
    """The study folder, with ``data/raw/t0.csv`` and ``t1.csv`` (decimal commas)."""
    rng = np.random.default_rng(seed)
    (folder / "surveys").mkdir(parents=True)
    (folder / "data" / "raw").mkdir(parents=True)
    (folder / "surveys" / "body.yml").write_text(INSTRUMENT, "utf-8")
    (folder / "study.yml").write_text(STUDY, "utf-8")
    weight = np.round(rng.normal(85, 12, n), 1)
    absent = rng.poisson(6, n)
    ids = [f"R{i:03d}" for i in range(n)]
    for wave, loss, fewer in (("t0", 0.0, 0), ("t1", 2.5, 2)):
        w = np.round(weight - loss + rng.normal(0, 1.5, n), 1)
        frame = pd.DataFrame({"resp": ids,
                              "weight": [f"{x:.1f}".replace(".", ",") for x in w],
                              "absent": np.maximum(absent - fewer, 0)})
        frame.loc[0, "weight"] = "-9"  # declared missing code
        frame.to_csv(folder / "data" / "raw" / f"{wave}.csv", sep=";", index=False)
    return folder
