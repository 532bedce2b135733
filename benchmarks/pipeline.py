"""Benchmark: the scheduled pipeline on a 20-site, 3-wave study (issue 7).

Usage: .venv/bin/python benchmarks/pipeline.py [--sites 20] [--jobs 2] [--skip-naive]
       .venv/bin/python benchmarks/pipeline.py --startup-only [--study FOLDER [--reports DIR
           --no-op-run]] [--repeat 9]

(0) start-up, as whole processes the way a user or a scheduler waits for them, against the
    floor ``python -c pass``, alternating runs, medians and ratios: ``evaltools --version`` and
    ``evaltools status`` (with ``--study``, on that study; otherwise on the generated one) and,
    with ``--no-op-run``, ``evaltools run`` with ``--no-register`` and with the register on a
    study whose reports in ``--reports`` are all current (a scheduled rerun with nothing to
    do);

(a) full build with ``evaltools run`` (warm kernels, ``--jobs`` processes), reports only
    (``--no-register``) and with the evidence register and the overview, against a naive loop
    that calls the papermill and nbconvert command lines once per report, as a ratio (on the
    same work: the reports). The reports-only run is timed before and after the naive loop
    (minutes apart: a shared machine's speed drifts, and two processes at once are hit harder
    than one), each with a probe of the machine's speed (a fixed loop in one process, then in
    two at once);
(b) a no-op rerun (nothing changed);
(c) a rerun after one site's wave file changed: which reports were rebuilt, and how long.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _study(base: Path, n_sites: int) -> Path:
    from evaltools.data.pseudonym import create_key
    from evaltools.demo.files import generate_demo_study
    from evaltools.study.load import load_study

    folder = base / "study"
    generate_demo_study(folder, seed=7, n_sites=n_sites, size=(60, 90))
    text = (folder / "study.yml").read_text("utf-8")
    head, _, _ = text.partition("  produce:\n")
    (folder / "study.yml").write_text(head + "  produce:\n"
                                      "    - {template: data_quality, per: study}\n"
                                      "    - {template: prepost, per: site}\n"
                                      "    - {template: controlled, per: site, waves: [t2]}\n"
                                      "    - {template: site_overview, per: study}\n", "utf-8")
    create_key(load_study(folder))
    return folder


def _run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def startup(study: Path | None, repeat: int, reports: Path | None = None,
            no_op_run: bool = False) -> None:
    """Time whole processes against ``python -c pass``, alternating, and print medians."""
    import statistics

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users run with cached bytecode
    commands = {"python -c pass (floor)": [sys.executable, "-c", "pass"],
                "evaltools --version": [str(BIN / "evaltools"), "--version"]}
    if study is not None:
        reports = reports or study.parent / "reports"
        commands["evaltools status"] = [str(BIN / "evaltools"), "status", str(study),
                                        "--reports-dir", str(reports)]
        if no_op_run:
            commands["evaltools run --no-register (no-op)"] = [
                str(BIN / "evaltools"), "run", str(study), "--no-register",
                "--reports-dir", str(reports)]
            # with the register (REPORTS/register.sqlite): the warm-up run below adds the
            # study's rows and renders the overview once; the timed runs find nothing changed
            commands["evaltools run, register on (no-op)"] = [
                str(BIN / "evaltools"), "run", str(study), "--reports-dir", str(reports)]
    for command in commands.values():  # warm the file cache and the bytecode
        subprocess.run(command, env=env, capture_output=True, check=True)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            t0 = time.perf_counter()
            subprocess.run(command, env=env, capture_output=True, check=True)
            times[name].append(time.perf_counter() - t0)
    floor = statistics.median(times["python -c pass (floor)"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"(0) {name}: median {median:.3f} s (min {min(values):.3f} s) = "
              f"{median / floor:.1f}x the floor")


def _stop_forkserver() -> None:
    """Stop the forkserver (Linux) an earlier run of this process left running with the
    workers' and kernels' libraries imported: a timed run pays for starting its own."""
    from multiprocessing import forkserver

    forkserver._forkserver._stop()


def _spin(_=None) -> float:
    t0 = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i
    return time.perf_counter() - t0


def probe() -> str:
    """The machine's speed now: a fixed loop in one process, then in two at once."""
    from multiprocessing import get_context

    alone = min(_spin() for _ in range(3))
    with get_context("spawn").Pool(2) as pool:
        pool.map(_spin, [0, 1])  # started
        both = max(pool.map(_spin, [0, 1]))
    return (f"probe: a fixed loop {alone * 1000:.0f} ms alone, {both * 1000:.0f} ms with two at "
            f"once (2-core efficiency {alone / both:.2f})")


def _naive(folder: Path, jobs: list[tuple[str, str, str]], out: Path) -> float:
    """papermill CLI + nbconvert CLI per report, one after another."""
    from evaltools.reports.render import notebooks_dir

    out.mkdir()
    os.symlink(folder, out / "study")
    t0 = time.perf_counter()
    for k, (template, site, wave) in enumerate(jobs):
        target = out / f"r{k:03d}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(notebooks_dir() / f"{template}.ipynb"),
                        str(target), "-p", "study_dir", "study", "-p", "site", site, "-p",
                        "wave", wave, "--cwd", str(out), "--no-progress-bar"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(target)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--startup-only", action="store_true",
                        help="only (0); with --study, on that study folder")
    parser.add_argument("--study", type=Path, help="an existing study folder for (0)")
    parser.add_argument("--reports", type=Path, help="its reports folder (for status and run)")
    parser.add_argument("--no-op-run", action="store_true",
                        help="also time a no-op 'evaltools run' (every report must be current)")
    parser.add_argument("--repeat", type=int, default=9, help="runs per command in (0)")
    args = parser.parse_args()
    if args.startup_only:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
              f"{platform.python_version()}")
        startup(args.study, args.repeat, args.reports, args.no_op_run)
        return
    base = Path(tempfile.mkdtemp(prefix="evaltools-pipeline-"))
    os.environ["EVALTOOLS_HOME"] = str(base / "home")
    from evaltools.pipeline.run import run_study
    from evaltools.reports.render import declared_reports
    from evaltools.study.load import load_study

    folder = _study(base, args.sites)
    study = load_study(folder)
    declared = declared_reports(study)
    reports = base / "reports"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
          f"{platform.python_version()}; study: {args.sites} sites, 3 waves, "
          f"{len(declared)} reports; --jobs {args.jobs}")
    startup(folder, args.repeat)
    t0 = time.perf_counter()
    first = run_study(folder, jobs=args.jobs, reports_dir=reports)
    full = time.perf_counter() - t0
    print(f"(a) full build (ingest, {len(first.reports)} reports, evidence register, overview "
          f"nl and en): {full:.1f} s; register rows added: {first.register[0]}; overview "
          f"pages: {len(first.overview)}")
    def reports_alone(when: str) -> float:
        print(f"    {probe()}")
        _stop_forkserver()  # the timed run starts its own, as a scheduled `evaltools run` does
        t0 = time.perf_counter()
        bare = run_study(folder, jobs=args.jobs, reports_dir=base / "bare", use_register=False,
                         force=True)
        took = time.perf_counter() - t0
        cli = _run([str(BIN / "evaltools"), "run", str(folder), "--reports-dir",
                    str(base / "cli"), "--no-register", "--force", "--jobs", str(args.jobs)])
        print(f"    the {len(bare.reports)} reports alone, {when} (--no-register, data "
              f"already ingested, as for the naive loop): {took:.1f} s, "
              f"{took / max(len(bare.reports), 1):.2f} s per report (the same from the command "
              f"line, a new Python with its imports: {cli:.1f} s)")
        return took

    before = reports_alone("before the naive loop")
    if not args.skip_naive:
        first_wave = next(w.id for w in study.waves if w.id != study.baseline.id)
        jobs = [(t, s, w or first_wave) for t, s, w in declared]
        print(f"    {probe()}")
        naive = _naive(folder, jobs, base / "naive")
        after = reports_alone("after the naive loop")
        mean = (before + after) / 2
        print(f"    naive loop (papermill + nbconvert command lines per report): {naive:.1f} s, "
              f"{naive / len(jobs):.2f} s per report; evaltools run is "
              f"{naive / mean:.1f}x faster on the same work (against the mean of the runs "
              f"before and after it; {naive / before:.1f}x and {naive / after:.1f}x each; "
              f"{naive / full:.1f}x with the register and the overview on top)")
    t0 = time.perf_counter()
    again = run_study(folder, jobs=args.jobs, reports_dir=reports)
    noop = time.perf_counter() - t0
    print(f"(b) no-op rerun: {noop:.2f} s, "
          f"{sum(r.reason != 'current' for r in again.reports)} reports rendered, "
          f"{again.register[0]} register rows added, {len(again.overview)} overview pages")
    target = sorted((folder / "data" / "raw" / "t1").glob("*.csv"))[0]
    target.write_bytes(target.read_bytes().replace(b";4;", b";3;", 1))
    t0 = time.perf_counter()
    changed = run_study(folder, jobs=args.jobs, reports_dir=reports)
    took = time.perf_counter() - t0
    redone = sorted(r.key for r in changed.reports if r.reason != "current")
    print(f"(c) after changing {target.name}: {took:.1f} s, {len(redone)} reports rebuilt: "
          + ", ".join(redone) + f"; register rows added: {changed.register[0]}, overview "
          f"pages: {len(changed.overview)}")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
