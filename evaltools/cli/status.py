"""``evaltools status``: which reports are current, from the ledger and the manifest alone.

Apart from :mod:`evaltools.cli.reports` so that it loads neither pandas nor the rendering
machinery: it reads ``study.yml``, the manifest and the ledger and plans the reports
(``benchmarks/pipeline.py`` times it against ``python -c pass``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from evaltools.cli.common import EPILOG, friendly
from evaltools.pipeline.plan import report_states

__all__ = ["status"]


@click.command(epilog=EPILOG)
@click.argument("study", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True)
@friendly
def status(study: Path, as_json: bool, reports_dir: Path) -> None:
    """Which reports of STUDY are current, stale, failed or missing; quarantined files."""
    reports, quarantined = report_states(study, reports_dir=reports_dir)
    if as_json:
        click.echo(json.dumps({"reports": reports, "quarantined": quarantined}, indent=2,
                              ensure_ascii=False))
        return
    for r in reports:
        click.echo(f"  {r['state']:<11} {r['site']}/{r['wave']}/{r['template']}"
                   + (f"  ({r['error']})" if r["state"] == "failed" and r["error"] else ""))
    for q in quarantined:
        click.secho(f"  quarantined {q['file']} ({q['errors']} errors; {q['report']})",
                    fg="red")
    counts = Counter(r["state"] for r in reports)
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no reports declared")
