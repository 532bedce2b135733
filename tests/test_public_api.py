"""The public API and the documented module paths survive the re-layout.

Everything in ``evaltools.__all__`` is importable from the package; the module paths of
evaltools 0.1 used in scripts and notebooks (``evaltools.reporting``, ``evaltools.effects``, ...)
still import, with a DeprecationWarning that names the new path, and give the same objects.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import warnings

import pytest

import evaltools
from evaltools._compat import MOVED

#: What scripts written for evaltools 0.1 import (from the 0.1 README and notebooks).
OLD_IMPORTS = [
    ("evaltools.reporting", "Report"),
    ("evaltools.report", "render_report"),
    ("evaltools.report", "declared_reports"),
    ("evaltools.effects", "mixed_model"),
    ("evaltools.effects", "within_change"),
    ("evaltools.effects.mixed", "mixed_model"),
    ("evaltools.simulate", "generate_demo_study"),
    ("evaltools.simulate", "simulate_study"),
    ("evaltools.ingest", "ingest"),
    ("evaltools.panel", "load_panel"),
    ("evaltools.pseudonym", "create_key"),
    ("evaltools.reliability", "reliability"),
    ("evaltools.scoring", "score_table"),
    ("evaltools.synthesis", "meta_analysis"),
    ("evaltools.evidence", "study_evidence"),
    ("evaltools.plots", "forest_plot"),
    ("evaltools.overview", "render_overview"),
    ("evaltools.errors", "EvaltoolsError"),
    ("evaltools.study", "load_study"),
    ("evaltools.instruments", "get_instrument"),
    ("evaltools.pipeline", "run_study"),
    ("evaltools.register", "Register"),
    ("evaltools.register.exchange", "export_register"),
    ("evaltools.register.collect", "collect"),
    ("evaltools.register.columns", "COLUMN_NAMES"),
]

#: The 0.1 facade's public names (the list is the contract: it must not shrink).
PUBLIC = """__version__ AnalysisError adjust_by_domain adjust_pvalues ancova baseline_equivalence
cluster_robust diff_in_diff hedges_g_wwc mixed_model morris_dppc2 multiple_imputation
paired_change reliable_change reliable_change_summary rubin_pool sensitivity subgroup_effects
within_change wwc_attrition check_data ingest attrition load_panel load_responses
participant_flow EvaltoolsError InstrumentDefinitionError OutputLocationError Problem
ProblemsError StudyDefinitionError Instrument find_instruments get_instrument load_instrument
render_codebook write_codebook cronbach_alpha omega_total reliability item_analysis
ScoringError score_scales score_table scored_items flag_inconsistent SimulatedStudy
SimulationSettings generate_demo_study simulate_study Study check_study load_study
meta_analysis leave_one_out site_effects site_synthesis""".split()


def test_every_public_name_is_still_exported():
    assert set(PUBLIC) <= set(evaltools.__all__)
    for name in evaltools.__all__:
        assert getattr(evaltools, name) is not None, name
    assert set(PUBLIC) <= set(dir(evaltools))


def test_star_import_gives_the_public_api():
    namespace: dict = {}
    exec("from evaltools import *", namespace)
    assert set(PUBLIC) <= set(namespace)
    assert callable(namespace["load_study"]) and callable(namespace["reliability"])


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        evaltools.no_such_thing  # noqa: B018


@pytest.mark.parametrize(("module", "name"), OLD_IMPORTS)
def test_old_module_paths_still_import_the_same_objects(module, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = getattr(importlib.import_module(module), name)
    new = getattr(evaltools, name, None)
    if new is not None:
        assert old is new
    # every such function or class is defined in the new layout, not in a shim
    home = getattr(old, "__module__", None)
    assert home is None or (home.startswith("evaltools.") and home not in MOVED)


def test_each_old_path_warns_at_the_users_import_and_names_the_new_one():
    """In a fresh interpreter, each old path warns once, pointing at the importing line."""
    code = """
import json, warnings
from evaltools._compat import MOVED
seen = {}
for old in sorted(MOVED):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(f"import {old}", f"<user {old}>", "exec"), {})
    seen[old] = [(str(w.message), w.filename, w.category.__name__) for w in caught]
print(json.dumps(seen))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    for old, new in MOVED.items():
        mine = [w for w in seen[old] if w[0].startswith(f"{old} has moved to {new};")]
        assert len(mine) == 1, (old, seen[old])
        assert mine[0][1:] == [f"<user {old}>", "DeprecationWarning"], (old, mine)


def test_importing_an_old_path_leaves_the_public_function_in_place():
    """``evaltools.ingest`` / ``evaltools.reliability`` are functions; importing the old
    modules of the same name must not replace them on the package."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        importlib.import_module("evaltools.ingest")
        importlib.import_module("evaltools.reliability")
    assert callable(evaltools.ingest) and not isinstance(evaltools.ingest, type(sys))
    assert callable(evaltools.reliability) and evaltools.reliability.__name__ == "reliability"


def test_new_paths_import_without_warnings():
    code = ("import warnings; warnings.simplefilter('error')\n"
            "import evaltools, evaltools.reports, evaltools.pipeline, evaltools.cli\n"
            "from evaltools.reports import Report\n"
            "from evaltools.analysis.effects import mixed_model\n"
            "from evaltools.demo import generate_demo_study\n"
            "evaltools.load_study, evaltools.mixed_model\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_planning_alias_imports_without_a_warning_and_keeps_the_module_spec():
    """``import evaltools.planning`` (the issue's name) is the analysis.planning package."""
    code = """
import warnings
warnings.simplefilter("error")
import evaltools.planning as p
import evaltools.analysis.planning as a
from evaltools.planning import plan_power
assert p is a and a.__spec__.name == "evaltools.analysis.planning", a.__spec__.name
assert plan_power is a.plan_power
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
