"""The benchmark scripts run (so that none can silently break again), at a tiny size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_pipeline_startup_prints_each_figure_beside_its_floor():
    out = subprocess.run([sys.executable, str(BENCHMARKS / "pipeline.py"), "--startup-only",
                          "--repeat", "1"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("(0)")]
    assert [line.split(":")[0] for line in lines] == ["(0) python -c pass (floor)",
                                                       "(0) evaltools --version"]
    assert all("x the floor" in line for line in lines)
