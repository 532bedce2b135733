"""The project's own promises: set-up, lock, layout and documentation stay in step."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from evaltools import check_study

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_readme_has_exactly_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    start = readme.index("## Getting started")
    block = re.search(r"```bash\n(.*?)```", readme[start:], re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]


def test_ci_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    assert re.search(r"^make test$", script, re.M)


def test_every_dependency_is_pinned_in_the_lock() -> None:
    project = _pyproject()["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"],
              *project["optional-dependencies"]["lab"]]
    lock = {}
    for line in (ROOT / "requirements.lock").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            lock[_name(name)] = version
    missing = [r for r in wanted if _name(r) not in lock]
    assert not missing, f"not pinned in requirements.lock: {missing}"
    assert all(lock.values()), "every lock line pins one exact version"


def test_environment_yml_lists_the_same_packages() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    pip = [d for e in env["dependencies"] if isinstance(e, dict) for d in e.get("pip", [])]
    conda = {_name(d) for d in [*env["dependencies"], *pip]
             if isinstance(d, str) and not d.startswith("-")}
    project = _pyproject()["project"]
    wanted = {_name(r) for r in [*project["dependencies"],
                                 *project["optional-dependencies"]["dev"],
                                 *project["optional-dependencies"]["lab"]]}
    assert wanted - conda == set()


def test_reports_folder_is_ignored_but_for_its_readme() -> None:
    ignore = (ROOT / ".gitignore").read_text("utf-8").splitlines()
    assert "reports/*" in ignore and "!reports/README.md" in ignore
    assert (ROOT / "reports" / "README.md").is_file()


@pytest.mark.parametrize("schema", sorted((ROOT / "evaltools" / "schemas").glob("*.json")),
                         ids=lambda p: p.name)
def test_schemas_are_valid_json_schema(schema: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(yaml.safe_load(schema.read_text("utf-8")))


def test_readme_example_is_a_valid_study(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme[readme.index("## The study definition"):]
    example = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    (tmp_path / "study.yml").write_text(example, "utf-8")
    (tmp_path / "data" / "raw").mkdir(parents=True)
    study, problems = check_study(tmp_path)
    assert study is not None, [p.describe() for p in problems]
    assert problems == []
    documented = set(re.findall(r"^\| `([a-z_]+)", section, re.M))
    top_keys = set(yaml.safe_load(example))
    assert top_keys <= documented | {"data"}


def test_makefile_targets_exist() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    for target in ("demo", "test", "lab", "bootstrap", "lock"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_public_api_is_importable_and_documented() -> None:
    import evaltools

    for name in evaltools.__all__:
        obj = getattr(evaltools, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            assert doc.strip(), f"{name} has no docstring"
            if name not in ("load_study", "check_study"):
                assert "Returns" in doc or "Raises" in doc or "Notes" in doc or \
                    len(doc.splitlines()) > 2, f"{name}: docstring too thin"


def test_reference_generators_write_nothing_on_import_and_match_their_files(tmp_path: Path,
                                                                             monkeypatch) -> None:
    """pytest's doctest collection imports every module under tests/: a generator that wrote
    its CSV on import left a stray effects_sim.csv in the working folder of every test run."""
    import importlib.util

    import pandas as pd

    monkeypatch.chdir(tmp_path)
    path = Path(__file__).parent / "reference" / "make_effects_sim.py"
    spec = importlib.util.spec_from_file_location("make_effects_sim", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert list(tmp_path.iterdir()) == []
    committed = pd.read_csv(path.with_name("effects_sim.csv"))
    pd.testing.assert_frame_equal(module.simulate().round(4), committed)
