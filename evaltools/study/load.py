"""The study definition: one ``study.yml`` per evaluation study.

:func:`load_study` reads a study folder's ``study.yml``, checks it in two passes (the JSON Schema
in ``evaltools/schemas/study.schema.json`` for its shape, then the rules that tie its sections
together) and returns a frozen :class:`Study`. Every problem in the file is collected first and
reported at once in a :class:`~evaltools.core.errors.StudyDefinitionError`, each naming the
file, the line, the key path, the value found and what is allowed.

The README documents the format with a full example; ``evaltools demo`` writes one.
"""

from __future__ import annotations

from pathlib import Path

from evaltools.core.errors import Problem, StudyDefinitionError
from evaltools.core.schema import schema_problems
from evaltools.core.yamlio import read_yaml
from evaltools.study.checks import check_semantics
from evaltools.study.model import STUDY_FILE, Study

__all__ = ["load_study", "check_study", "study_file", "as_study"]


def study_file(path: str | Path) -> Path:
    """The ``study.yml`` for a study folder, or ``path`` itself if it names a file."""
    path = Path(path)
    return path / STUDY_FILE if path.is_dir() else path


def check_study(path: str | Path) -> tuple[Study | None, list[Problem]]:
    """Check a study definition without raising.

    Parameters
    ----------
    path : str or Path
        A study folder or its ``study.yml``.

    Returns
    -------
    study : Study or None
        The study, when there are no errors (warnings are allowed).
    problems : list of Problem
        Every error and warning found.
    """
    file = study_file(path)
    display = str(file)
    doc = read_yaml(file, display)
    if doc.problems:
        return None, doc.problems
    if not isinstance(doc.data, dict):
        return None, [Problem(display, "(top level)", "expected a mapping of keys",
                              found=doc.data, line=1)]
    problems = schema_problems(doc, "study")
    study, more = check_semantics(doc, file.parent, problems)
    problems.extend(more)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return study, problems


def load_study(path: str | Path) -> Study:
    """Read and validate a study definition.

    Parameters
    ----------
    path : str or Path
        A study folder (holding ``study.yml``) or the ``study.yml`` file itself.

    Returns
    -------
    Study
        The validated definition; warnings, if any, are in ``Study.warnings``.

    Raises
    ------
    StudyDefinitionError
        Listing every problem in the file: YAML syntax, unknown or missing keys, values outside
        the allowed set, and broken references between sections (an unknown wave, site, group or
        instrument; a design without the groups it needs; overlapping wave windows; ...).

    Examples
    --------
    >>> from evaltools.demo import generate_demo_study
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "demo"
    >>> _ = generate_demo_study(folder, seed=1, n_sites=2, size=(20, 30))
    >>> study = load_study(folder)
    >>> study.design, [w.id for w in study.waves], study.min_cell_size
    ('controlled', ['t0', 't1', 't2'], 10)
    """
    file = study_file(path)
    study, problems = check_study(file)
    if study is None:
        raise StudyDefinitionError(f"study definition {file}", problems)
    return study


def as_study(study: Study | str | Path) -> Study:
    """``study`` itself when it is a :class:`Study`, else the study loaded from that folder.

    Functions that act on a study take either, so that a command loads the definition once and
    passes the object on.
    """
    return study if isinstance(study, Study) else load_study(study)
