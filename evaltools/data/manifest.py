"""The record of what was ingested (``store/manifest.json``), without pandas.

Split from :mod:`evaltools.data.store` so that reading the manifest (``evaltools status``, the
planning step of ``evaltools run``) does not import pandas; see ``benchmarks/pipeline.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from evaltools.core.errors import EvaltoolsError
from evaltools.core.io import atomic_write_text

__all__ = ["FileRecord", "Manifest", "StoreError", "file_hash", "now", "MANIFEST"]

MANIFEST = "manifest.json"
FORMAT = 1


class StoreError(EvaltoolsError):
    """The study store cannot be used as it is (damaged manifest, another key)."""


@dataclass
class FileRecord:
    """What the store knows about one raw file."""

    path: str
    sha256: str
    size: int
    status: str  # accepted | quarantined
    wave: str | None
    rows: int = 0
    errors: int = 0
    warnings: int = 0
    part: str | None = None
    report: str | None = None
    ingested_at: str = ""
    sites: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    """The record of ingested files (``store/manifest.json``)."""

    study_id: str
    key_fingerprint: str | None
    files: dict[str, FileRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Path, study_id: str) -> Manifest:
        path = store / MANIFEST
        if not path.exists():
            return cls(study_id, None)
        try:
            data = json.loads(path.read_text("utf-8"))
            files = {k: FileRecord(**v) for k, v in data["files"].items()}
            manifest = cls(data["study_id"], data.get("key_fingerprint"), files)
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{path} is damaged ({exc}); move the store folder aside and "
                             "ingest again with --rebuild (raw files are untouched)") from None
        if manifest.study_id != study_id:
            raise StoreError(f"{path} belongs to study {manifest.study_id!r}, not {study_id!r}")
        return manifest

    def save(self, store: Path) -> None:
        """Write the manifest atomically, and only when its content changed."""
        data = {"format": FORMAT, "study_id": self.study_id,
                "key_fingerprint": self.key_fingerprint,
                "files": {k: asdict(v) for k, v in sorted(self.files.items())}}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        path = store / MANIFEST
        if path.exists() and path.read_text("utf-8") == text:
            return
        atomic_write_text(path, text)

    def by_hash(self) -> dict[str, FileRecord]:
        """Records by content hash."""
        return {r.sha256: r for r in self.files.values()}


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes (read in blocks; the file is not changed)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now() -> str:
    """The current time, UTC, to the second."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
