"""Which stored data a report reads: the slice of the store behind one report.

The report's methods section lists these files with their fingerprints, and the pipeline hashes
them to decide whether a report must be rendered again.
"""

from __future__ import annotations

from evaltools.data.manifest import FileRecord, Manifest
from evaltools.study.model import Study

__all__ = ["data_slice"]


def data_slice(study: Study, manifest: Manifest, template: str, site: str,
               wave: str) -> list[FileRecord]:
    """The stored files a report reads: its waves (all for data_quality) and its site."""
    waves = {w.id for w in study.waves} if template == "data_quality" \
        else {study.baseline.id, wave}
    every_site = site == "all" or template in ("site_overview", "site_synthesis")
    return sorted((r for r in manifest.files.values() if r.status == "accepted"
                   and r.wave in waves and (every_site or site in r.sites)),
                  key=lambda r: r.path)
