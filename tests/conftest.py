"""Shared fixtures: a small generated demo study, and a way to break its study.yml."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from evaltools.demo.files import generate_demo_study

#: Small enough to be quick, large enough to contain every kind of mess.
SMALL = dict(seed=11, n_sites=3, size=(60, 90))


@pytest.fixture(autouse=True, scope="session")
def _private_evaltools_home(tmp_path_factory: pytest.TempPathFactory):
    """Keys go to a temporary EVALTOOLS_HOME, never to the user's ~/.config."""
    home = tmp_path_factory.mktemp("evaltools-home")
    old = os.environ.get("EVALTOOLS_HOME")
    os.environ["EVALTOOLS_HOME"] = str(home)
    for name in [n for n in os.environ if n.startswith("EVALTOOLS_KEY_")]:
        del os.environ[name]
    os.environ.pop("EVALTOOLS_REGISTER", None)  # tests never write to a user's register
    yield home
    if old is None:
        del os.environ["EVALTOOLS_HOME"]
    else:
        os.environ["EVALTOOLS_HOME"] = old


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated demo study (3 sites); treat as read-only."""
    folder = tmp_path_factory.mktemp("demo") / "study"
    generate_demo_study(folder, **SMALL)
    return folder


@pytest.fixture
def study_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo study that a test may change."""
    target = tmp_path / "study"
    shutil.copytree(demo_dir, target)
    return target


@pytest.fixture
def edit_study(study_copy: Path) -> Callable[[Callable[[dict], None]], Path]:
    """Apply a change to the parsed study.yml of a private copy and write it back."""

    def apply(change: Callable[[dict], None]) -> Path:
        path = study_copy / "study.yml"
        data = yaml.safe_load(path.read_text("utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
        return study_copy

    return apply


@pytest.fixture(scope="session")
def ingested_demo(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A private, ingested copy of the demo study and its panel; treat as read-only."""
    from evaltools.data.ingest import ingest
    from evaltools.data.panel import load_panel
    from evaltools.data.pseudonym import create_key, default_key_file
    from evaltools.study.load import load_study

    folder = tmp_path_factory.mktemp("ingested") / "study"
    shutil.copytree(demo_dir, folder)
    study = load_study(folder)
    if not default_key_file(study.id).exists():
        create_key(study)
    ingest(study)
    return study, load_panel(study)


@pytest.fixture(params=["sqlite", "postgresql"])
def register_url(request, tmp_path: Path):
    """A fresh, empty register database: an SQLite file, or a new PostgreSQL database on the
    server named by EVALTOOLS_TEST_POSTGRES_URL (.ci/run starts one; CI requires it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'register.sqlite'}"
        return
    server = os.environ.get("EVALTOOLS_TEST_POSTGRES_URL")
    if not server:
        if os.environ.get("CI"):
            pytest.fail("EVALTOOLS_TEST_POSTGRES_URL is not set: CI runs the register tests "
                        "on PostgreSQL (.ci/run starts a server)")
        pytest.skip("no PostgreSQL server (set EVALTOOLS_TEST_POSTGRES_URL, see .ci/run)")
    import uuid

    import sqlalchemy as sa

    name = f"register_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(server).set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
