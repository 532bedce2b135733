"""Every benchmark script runs (so that none can silently break again), at a tiny size.

Each runs as its users run it, in a fresh process; the sizes are the smallest that still go
through every step. ``benchmarks/RESULTS.md`` has the figures at full size.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

#: script -> tiny-size arguments, and what its output must show.
TINY = {
    "ingest.py": (["--respondents", "200", "--sites", "2", "--repeat", "1"],
                  ["x the floor", "peak memory"]),
    "scoring.py": (["--respondents", "2000", "--repeat", "1"],
                   ["x the floor (aim: 2x); same scores as the floor: True"]),
    "simulate.py": (["--sites", "1", "--repeat", "1"], []),
    "pipeline.py": (["--startup-only", "--repeat", "1"], ["x the floor"]),
    "report.py": (["--sites", "1", "--repeat", "1"], ["render_report"]),
    "register.py": (["--studies", "2", "--sites", "2"], []),
    "recovery.py": (["--studies", "2", "--workers", "1"], []),
    "mixed_model.py": (["--sizes", "300"], []),
    "planning.py": (["--grid-only"], []),
}


def test_every_benchmark_script_is_listed():
    assert sorted(TINY) == sorted(p.name for p in BENCHMARKS.glob("*.py"))


@pytest.mark.parametrize("script", sorted(TINY))
def test_benchmark_runs_at_a_tiny_size(script, tmp_path):
    arguments, shown = TINY[script]
    # a home of its own: each script makes the demo study's key there
    env = {**os.environ, "EVALTOOLS_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, str(BENCHMARKS / script), *arguments],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    for text in shown:
        assert text in out.stdout, out.stdout


def test_pipeline_startup_prints_each_figure_beside_its_floor():
    out = subprocess.run([sys.executable, str(BENCHMARKS / "pipeline.py"), "--startup-only",
                          "--repeat", "1"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.startswith("(0)")]
    assert [line.split(":")[0] for line in lines] == ["(0) python -c pass (floor)",
                                                       "(0) evaltools --version"]
    assert all("x the floor" in line for line in lines)
