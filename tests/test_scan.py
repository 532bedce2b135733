"""The no-op ingest: ``unchanged_ingest`` says what ``ingest`` would, or that there is work.

A scheduled ``evaltools run`` asks :func:`evaltools.data.scan.unchanged_ingest` before it imports
the readers (pandas, pyreadstat); whenever it answers, the answer must be the one ``ingest``
gives, and whenever a file is new, changed or gone it must step aside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evaltools.data.ingest import ingest
from evaltools.data.key import create_key, default_key_file
from evaltools.data.manifest import StoreError
from evaltools.data.scan import unchanged_ingest
from evaltools.study.load import load_study


@pytest.fixture
def ingested_copy(demo_dir: Path, tmp_path: Path):
    folder = tmp_path / "study"
    shutil.copytree(demo_dir, folder)
    study = load_study(folder)
    if not default_key_file(study.id).exists():
        create_key(study)
    assert unchanged_ingest(study) is None  # nothing ingested yet
    ingest(study)
    return study


def _outcomes(result) -> list[tuple]:
    return [(o.file, o.wave, o.status, o.rows, o.report, o.problems) for o in result.outcomes]


def test_an_unchanged_store_gives_what_ingest_gives(ingested_copy) -> None:
    study = ingested_copy
    quick = unchanged_ingest(study)
    full = ingest(study)
    assert quick is not None
    assert _outcomes(quick) == _outcomes(full) and quick.problems == full.problems
    assert quick.counts() == {"unchanged": len(full.outcomes)}
    assert quick.summary().equals(full.summary()) and quick.ok == full.ok


def test_a_changed_new_or_removed_file_needs_an_ingest(ingested_copy) -> None:
    study = ingested_copy
    raw = sorted((study.folder / "data" / "raw").rglob("*.csv"))
    raw[0].write_bytes(raw[0].read_bytes() + b"\n")
    assert unchanged_ingest(study) is None
    ingest(study)
    assert unchanged_ingest(study) is not None
    shutil.copy(raw[1], raw[1].with_name("copy-" + raw[1].name))
    assert unchanged_ingest(study) is None
    ingest(study)
    raw[2].unlink()
    assert unchanged_ingest(study) is None


def test_a_store_built_with_another_key_is_refused_as_by_ingest(ingested_copy) -> None:
    study = ingested_copy
    os.environ["EVALTOOLS_KEY_VEERKRACHT_DEMO"] = "ab" * 32
    try:
        with pytest.raises(StoreError, match="built with another key"):
            unchanged_ingest(study)
        with pytest.raises(StoreError, match="built with another key"):
            ingest(study)
    finally:
        del os.environ["EVALTOOLS_KEY_VEERKRACHT_DEMO"]


def test_an_orphaned_part_is_removed_as_by_ingest(ingested_copy) -> None:
    study = ingested_copy
    orphan = study.store_dir / "responses" / "t0" / "0123456789abcdef01234567.parquet"
    orphan.write_bytes(b"not a part")
    assert unchanged_ingest(study) is not None
    assert not orphan.exists()


def test_checking_an_unchanged_store_imports_no_pandas(ingested_copy) -> None:
    probe = ("import sys\nfrom evaltools.data.scan import unchanged_ingest\n"
             "from evaltools.study.load import load_study\n"
             f"assert unchanged_ingest(load_study({str(ingested_copy.folder)!r})) is not None\n"
             "print(sorted(m for m in ('pandas', 'numpy', 'pyreadstat') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=os.environ)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
