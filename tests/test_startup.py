"""Start-up: commands load only the libraries they need (see ``benchmarks/pipeline.py``).

Each check runs in a fresh interpreter and lists the heavy modules that got imported; the
absolute times are in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Libraries that no start-up path may import (each costs 0.1-1 s on the benchmark machine).
HEAVY = ["pandas", "numpy", "scipy", "statsmodels", "matplotlib", "papermill", "nbconvert",
         "sqlalchemy", "pyreadstat", "jupyter_client"]


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\nimport json\n"
             f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("code", [
    "import evaltools",
    "import evaltools.cli.main",
    "from evaltools.cli.main import cli\ntry:\n    cli(['--version'])\nexcept SystemExit: pass",
])
def test_start_up_imports_no_heavy_library(code):
    assert _loaded_after(code) == []


def test_status_loads_no_heavy_library():
    """``evaltools status`` needs study.yml, the manifest and the ledger: no pandas, no numpy."""
    assert _loaded_after("import evaltools.cli.status") == []


def test_a_run_loads_rendering_and_the_register_only_when_it_needs_them():
    """pandas, numpy and pyreadstat (for ingesting) are all a no-op ``evaltools run`` loads."""
    assert set(_loaded_after("import evaltools.cli.run")) <= {"pandas", "numpy", "pyreadstat"}


def test_a_run_module_loads_no_heavy_library_until_it_ingests_or_renders():
    """Deciding that nothing changed needs neither pandas nor the readers (data.scan)."""
    assert _loaded_after("import evaltools.cli.run\nimport evaltools.pipeline.stamp") == []


def test_the_planted_heavy_import_is_seen():
    assert _loaded_after("import evaltools.data.panel") != []


def test_a_lazy_package_keeps_its_function_over_a_submodule_of_the_same_name():
    """``evaltools.data.ingest`` is the function, as when ``__init__`` imported it eagerly."""
    import evaltools.data
    import evaltools.data.ingest  # noqa: F401 - the submodule import must not rebind the name
    import evaltools.register.collect  # noqa: F401

    assert callable(evaltools.data.ingest) and evaltools.data.ingest.__name__ == "ingest"
    from evaltools.register import collect

    assert collect.__name__ == "collect" and callable(collect)


def test_every_subpackage_name_resolves():
    import importlib

    for package in ["instruments", "study", "data", "demo", "analysis", "register", "reports",
                    "pipeline"]:
        module = importlib.import_module(f"evaltools.{package}")
        for name in module.__all__:
            assert getattr(module, name) is not None, (package, name)
        assert set(module.__all__) <= set(dir(module))
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            module.nope  # noqa: B018


def test_ledger_latest_agrees_with_last(tmp_path):
    """The one-query snapshot planning uses gives the rows of one query per report."""
    from evaltools.pipeline.ledger import Ledger

    ledger = Ledger(tmp_path / "ledger.sqlite")
    run = ledger.start_run()
    reports = [("prepost", "a", "t1"), ("prepost", "b", "t1"), ("data_quality", "all", "")]
    for k, status in enumerate(["ok", "failed", "ok", "ok", "interrupted", "failed", "ok"]):
        template, site, wave = reports[k % len(reports)]
        ledger.set_job(ledger.add_job(run, template, site, wave, f"fp{k}"), status)
    latest = ledger.latest()
    for key in reports:
        for status, kind in ((None, "any"), ("ok", "ok")):
            want = ledger.last(*key, status)
            got = latest.get(key, {}).get(kind)
            assert (None if want is None else dict(want)) == (None if got is None else dict(got))


def test_environment_names_match_the_metadata_parser():
    from importlib.metadata import distributions

    from evaltools.pipeline.plan import _name_version

    slow = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions()
                  if d.metadata["Name"])
    fast = sorted(f"{n}=={v}" for n, v in map(_name_version, distributions()) if n)
    assert fast == slow


def test_every_shipped_schema_is_a_valid_draft_2020_12_schema():
    """Checked here rather than on every load (see evaltools.core.schema.load_schema)."""
    from importlib import resources

    import jsonschema

    from evaltools.core.schema import load_schema

    names = [p.name.removesuffix(".schema.json")
             for p in resources.files("evaltools.schemas").iterdir()
             if p.name.endswith(".schema.json")]
    assert names
    for name in names:
        jsonschema.Draft202012Validator.check_schema(load_schema(name))
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.Draft202012Validator.check_schema({"type": "no-such-type"})


def test_a_report_worker_loads_neither_the_analyses_nor_the_register():
    """A worker of ``evaltools run`` renders notebooks; the analyses run in the kernel, and the
    register (SQLAlchemy) and the overview (matplotlib) are imported where they are used."""
    loaded = _loaded_after("import evaltools.pipeline.jobs")
    assert {"papermill", "nbconvert", "jupyter_client"} <= set(loaded)
    assert not {"scipy", "statsmodels", "matplotlib", "sqlalchemy"} & set(loaded)
