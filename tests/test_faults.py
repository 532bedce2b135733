"""Fault injection (issue 14, items 18-20): ``evaltools run`` killed at random moments.

Kills the whole process group, then the main process alone (as a scheduler's timeout or the
OOM killer does), changes a wave file between runs, and checks what the next run finds: no
process of a killed run survives, the lock is free, the ledger and the register pass
``PRAGMA integrity_check``, no partial report or temporary folder is left or listed, and the
next run completes with every report current. One report and the overview per run keep it
under a minute.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evaltools.data.pseudonym import create_key
from evaltools.demo.files import generate_demo_study
from evaltools.pipeline.run import _Lock, report_status
from evaltools.study.load import load_study

psutil = pytest.importorskip("psutil")

ONLY = "*/t1/prepost"
EVALTOOLS = [sys.executable, "-c", "from evaltools.cli.main import main; main()"]


def _start(folder: Path, reports: Path, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*EVALTOOLS, "run", str(folder), "--reports-dir", str(reports),
                             "--jobs", "2", "--only", ONLY, *extra], start_new_session=True,
                            env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_kernel(process: subprocess.Popen, limit: float = 40) -> list:
    """The run's process tree once a worker has started a kernel (or the run ended)."""
    start = time.monotonic()
    tree: list = []
    while time.monotonic() - start < limit and process.poll() is None:
        try:
            tree = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            break
        # a forked kernel keeps its worker's command line and is named "ipykernel"
        if any("ipykernel" in " ".join(_cmdline(p)) or _name(p) == "ipykernel" for p in tree):
            break
        time.sleep(0.2)
    return tree


def _name(p) -> str:
    try:
        return p.name()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return ""


def _cmdline(p) -> list[str]:
    try:
        return p.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return []


def _survivors(tree: list, limit: float = 10) -> list:
    start = time.monotonic()
    while True:
        alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() - start > limit:
            return alive
        time.sleep(0.25)


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def test_killed_runs_leave_nothing_behind_and_the_next_run_completes(tmp_path: Path,
                                                                     monkeypatch) -> None:
    rng = random.Random(14)
    # a key of its own: the session's home may hold a key of the same demo study already
    monkeypatch.setenv("EVALTOOLS_HOME", str(tmp_path / "home"))
    folder, reports, temp = tmp_path / "study", tmp_path / "reports", tmp_path / "tmp"
    temp.mkdir()
    generate_demo_study(folder, seed=5, n_sites=1, size=(40, 50))
    create_key(load_study(folder))
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(Path(__file__).parents[1])}
    killed = []
    for how in ("group", "main"):
        # the killed runs leave the register alone, to reach their kernels sooner
        process = _start(folder, reports, env, "--no-register")
        tree = _wait_for_kernel(process)
        time.sleep(rng.uniform(0, 3))
        if how == "group":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        killed.append(process.pid)
        alive = _survivors(tree)
        assert not alive, f"{how}: still running: {[_cmdline(p) for p in alive]}"
        with _Lock(load_study(folder)):  # free again
            pass
        # the data changes between runs: a corrected wave file
        wave = next((folder / "data" / "raw" / "t1").glob("*.csv"), None)
        if wave is not None:
            wave.write_bytes(wave.read_bytes() + b"\r\n")
    final = _start(folder, reports, env)
    output, _ = final.communicate(timeout=240)
    assert final.returncode == 0, output
    assert "Traceback" not in output
    status, _ = report_status(folder, reports_dir=reports)
    mine = status[(status["wave"] == "t1") & (status["template"] == "prepost")]
    assert len(mine) and (mine["state"] == "current").all(), mine.to_string()
    assert _integrity(folder / "store" / "ledger.sqlite") == "ok"
    assert _integrity(reports / "register.sqlite") == "ok"
    leftovers = [p for p in reports.rglob(".*") if ".tmp-" in p.name or ".old-" in p.name]
    assert not leftovers
    index = (reports / load_study(folder).id / "index.html").read_text("utf-8")
    assert ".tmp-" not in index and ".old-" not in index
    for pid in killed:
        assert not list(temp.glob(f"evaltools-*-{pid}-*")), list(temp.iterdir())
