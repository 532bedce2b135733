"""Benchmark: rendering one prepost report for one site, split into its phases.

Usage: .venv/bin/python benchmarks/report.py [--repeat 3] [--sites 6]

Generates and ingests the demo study in a temporary folder, then times (median of the repeats):
kernel start, execution of the template's cells (the first of which imports evaltools), and the
HTML export, measured with nbclient directly; and the whole ``render_report`` call (papermill,
checks, export, atomic move, index).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sites", type=int, default=6, help="sites of the demo study")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="evaltools-report-bench-"))
    os.environ.setdefault("EVALTOOLS_HOME", str(base / "home"))
    import nbformat
    from nbclient import NotebookClient
    from papermill.parameterize import parameterize_notebook

    from evaltools.data.ingest import ingest
    from evaltools.data.pseudonym import create_key
    from evaltools.demo.files import generate_demo_study
    from evaltools.reports.render import notebook_html, notebooks_dir, render_report
    from evaltools.study.load import load_study

    folder = base / "study"
    generate_demo_study(folder, n_sites=args.sites)
    study = load_study(folder)
    create_key(study)
    ingest(study)
    work = base / "work"
    work.mkdir()
    os.symlink(folder, work / "study")
    phases = {"kernel start": [], "execution": [], "HTML export": [], "render_report": []}
    for _ in range(args.repeat):
        nb = nbformat.read(notebooks_dir() / "prepost.ipynb", as_version=4)
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])
        nb.metadata.setdefault("papermill", {})
        nb = parameterize_notebook(nb, {"study_dir": "study", "site": "rotterdam-zuid",
                                        "wave": "t1", "language": "nl"})
        client = NotebookClient(nb, kernel_name="python3", timeout=900,
                                resources={"metadata": {"path": str(work)}})
        t0 = time.perf_counter()
        with client.setup_kernel():
            t1 = time.perf_counter()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            t2 = time.perf_counter()
        notebook_html(nb, "prepost", "prepost", "nl", work, [str(folder.resolve())])
        t3 = time.perf_counter()
        phases["kernel start"].append(t1 - t0)
        phases["execution"].append(t2 - t1)
        phases["HTML export"].append(t3 - t2)
        t4 = time.perf_counter()
        render_report(folder, "prepost", site="rotterdam-zuid", wave="t1",
                      reports_dir=base / "reports")
        phases["render_report"].append(time.perf_counter() - t4)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, CPython "
          f"{platform.python_version()}; demo study, prepost report for one site, median of "
          f"{args.repeat}")
    for name, values in phases.items():
        print(f"{name:<15} {statistics.median(values):6.2f} s")
    print("execution includes importing evaltools in the kernel (the first cell) and the "
          "analyses of every scale")


if __name__ == "__main__":
    main()
