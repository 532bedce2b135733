"""Planning a run without running it: which declared reports are current, and why not.

A report's fingerprint covers the template's content, its parameters, the exact slice of input
data it reads (the stored files of its waves and sites), the instruments, ``study.yml``, the
evaltools version and the installed package set. This module needs only the study, the
manifest and the ledger, not pandas or the rendering machinery, so that ``evaltools status``
and a ``evaltools run`` with nothing to do start fast (``benchmarks/pipeline.py``).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib.metadata import distributions
from pathlib import Path

from evaltools.core.version import __version__
from evaltools.data.manifest import Manifest
from evaltools.pipeline.ledger import Ledger
from evaltools.reports.inputs import data_slice
from evaltools.reports.layout import declared_reports, notebooks_dir, report_folder
from evaltools.study.load import as_study
from evaltools.study.model import Study

__all__ = ["PlannedReport", "plan_reports", "report_states", "STATUS_COLUMNS",
           "QUARANTINE_COLUMNS"]

STATUS_COLUMNS = ["template", "site", "wave", "state", "last_status", "last_run", "error",
                  "output"]


#: Columns of the quarantined files in :func:`report_states`.
QUARANTINE_COLUMNS = ["file", "wave", "errors", "report"]


@dataclass
class PlannedReport:
    template: str
    site: str
    wave: str
    fingerprint: str
    reason: str  # new | changed | failed before | interrupted | forced | current | no data yet
    job_id: int | None = None
    status: str = "planned"
    output: str | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        return f"{self.site}/{self.wave or 'all-waves'}/{self.template}"


@cache
def _environment() -> str:
    packages = sorted(f"{name}=={version}" for name, version in map(_name_version,
                                                                    distributions()) if name)
    return hashlib.sha256(("\n".join([__version__, *packages])).encode()).hexdigest()


def _name_version(dist) -> tuple[str | None, str | None]:
    """A distribution's ``Name`` and ``Version`` from the header of its metadata file, as
    ``dist.metadata["Name"]`` and ``dist.version`` give them without parsing the whole file
    as an e-mail message (that was a third of ``evaltools status``)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the header ends at the first blank line
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    return found.get("Name"), found.get("Version")


def _study_inputs(study: Study) -> str:
    """What every report of a study depends on: its instruments, study.yml, the environment."""
    digest = hashlib.sha256()
    digest.update(repr([(i.id, i.version, i) for i in study.instruments]).encode())
    digest.update((study.folder / "study.yml").read_bytes())
    digest.update(_environment().encode())
    return digest.hexdigest()


def _fingerprint(template_digest, study: Study, manifest: Manifest, template: str, site: str,
                 wave: str, language: str, shared: str) -> str:
    """``template_digest``: a SHA-256 that has been fed the template's bytes (one per template,
    copied for each of its reports instead of reading and hashing the notebook again)."""
    digest = template_digest.copy()
    digest.update(json.dumps([template, site, wave, language]).encode())
    for record in data_slice(study, manifest, template, site, wave):
        digest.update(f"{record.path}:{record.sha256}".encode())
    digest.update(shared.encode())
    return digest.hexdigest()


def _matches(only: list[str], template: str, site: str, wave: str) -> bool:
    if not only:
        return True
    key = f"{site}/{wave or 'all-waves'}/{template}"
    return any(fnmatch.fnmatch(key, pattern) for pattern in only)


def plan_reports(study: Study, *, force: bool = False, only: list[str] | None = None,
                 language: str = "", reports_dir: str | Path = "reports"
                 ) -> list[PlannedReport]:
    """What each declared report needs: rendering (and why) or nothing (``current``)."""
    manifest = Manifest.load(study.store_dir, study.id)
    latest = Ledger(study.store_dir / "ledger.sqlite").latest()
    language = language or study.language
    planned = []
    shared = _study_inputs(study)
    templates = notebooks_dir()
    digests = {}  # template -> SHA-256 fed its bytes
    waves_with_data = {r.wave for r in manifest.files.values() if r.status == "accepted"}
    for template, site, wave in declared_reports(study):
        if not _matches(only or [], template, site, wave):
            continue
        wave_id = wave or ""
        print_wave = wave_id or next(w.id for w in study.waves if w.id != study.baseline.id)
        if template not in digests:
            digests[template] = hashlib.sha256((templates / f"{template}.ipynb").read_bytes())
        fp = _fingerprint(digests[template], study, manifest, template, site,
                          wave_id or print_wave, language, shared)
        last_ok = latest.get((template, site, wave_id), {}).get("ok")
        last_any = latest.get((template, site, wave_id), {}).get("any")
        exists = (report_folder(Path(reports_dir), study, template, site, print_wave)
                  / "report.html").is_file()
        has_data = template == "data_quality" or (wave_id or print_wave) in waves_with_data
        if not has_data:
            reason = "no data yet"
        elif force:
            reason = "forced"
        elif last_any is not None and last_any["status"] == "interrupted":
            reason = "interrupted"
        elif last_any is not None and last_any["status"] == "failed" and (
                last_ok is None or last_ok["fingerprint"] != fp or last_any["id"] > last_ok["id"]):
            reason = "failed before" if last_any["fingerprint"] == fp else "changed"
        elif last_ok is None or not exists:
            reason = "new"
        elif last_ok["fingerprint"] != fp:
            reason = "changed"
        else:
            reason = "current"
        planned.append(PlannedReport(template, site, wave_id, fp, reason))
    return planned


def report_states(study: Study | str | Path, *, reports_dir: str | Path = "reports"
                  ) -> tuple[list[dict], list[dict]]:
    """What is current, stale, failed or missing, and which files are quarantined, as records.

    Returns
    -------
    reports : list of dict
        One per declared report, keys :data:`STATUS_COLUMNS`; ``state`` is ``current``,
        ``stale`` (its inputs changed since), ``failed``, ``interrupted``, ``missing`` or
        ``waiting`` (no data yet).
    quarantined : list of dict
        Keys :data:`QUARANTINE_COLUMNS`, one per quarantined raw file.
    """
    study = as_study(study)
    rows = []
    planned = plan_reports(study, reports_dir=reports_dir)
    latest = Ledger(study.store_dir / "ledger.sqlite").latest()
    for report in planned:
        last = latest.get((report.template, report.site, report.wave), {}).get("any")
        state = {"current": "current", "changed": "stale", "new": "missing",
                 "failed before": "failed", "interrupted": "interrupted",
                 "no data yet": "waiting"}[report.reason]
        rows.append([report.template, report.site, report.wave or "all-waves", state,
                     None if last is None else last["status"],
                     None if last is None else last["ended"],
                     None if last is None else last["error"],
                     None if last is None else last["output"]])
    manifest = Manifest.load(study.store_dir, study.id)
    quarantined = [dict(zip(QUARANTINE_COLUMNS, (r.path, r.wave, r.errors, r.report),
                            strict=True))
                   for r in manifest.files.values() if r.status == "quarantined"]
    return [dict(zip(STATUS_COLUMNS, row, strict=True)) for row in rows], quarantined
