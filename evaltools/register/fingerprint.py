"""What a study's register rows are computed from, as one fingerprint: without pandas.

Split from :mod:`evaltools.register.collect` (which computes the rows with the analyses) so that
a scheduled ``evaltools run`` can tell that the register already holds the study's current
results without importing the analyses (:mod:`evaltools.pipeline.stamp`).
"""

from __future__ import annotations

import hashlib

from evaltools.core.version import __version__
from evaltools.data.manifest import Manifest

__all__ = ["inputs_fingerprint"]


def inputs_fingerprint(study) -> str:
    """SHA-256 over what a study's register rows are computed from: the accepted wave files
    (path and content hash), ``study.yml`` (declarations, design, minimum cell size) and the
    evaltools version. A change in any of them makes new rows, a new version of the results.
    """
    manifest = Manifest.load(study.store_dir, study.id)
    digest = hashlib.sha256()
    for record in sorted(manifest.files.values(), key=lambda r: r.path):
        if record.status == "accepted":
            digest.update(f"{record.path}:{record.sha256}\n".encode())
    digest.update((study.folder / "study.yml").read_bytes())
    digest.update(__version__.encode())
    return digest.hexdigest()
