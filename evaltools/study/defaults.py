"""The reports a study gets when ``study.yml`` does not list them (``reports.produce`` absent).

Without this, a study that leaves ``reports.produce`` out renders nothing and ``evaltools run``
reports "0 rendered". The default set follows the design:

===================  ==========================================================================
design               reports
===================  ==========================================================================
``pre_post``         ``data_quality`` (study), ``prepost`` (per site)
``controlled``,      ``data_quality`` (study), ``prepost`` and ``controlled`` (per site)
``randomised``
``repeated_cross_``  ``data_quality`` (study), ``controlled`` (per site): the templates that
``section``          apply to independent samples (``UNPAIRED_TEMPLATES``)
2 or more sites      also ``site_overview`` and ``site_synthesis`` (study), where the design
                     allows them
===================  ==========================================================================

Every report covers every wave after the baseline and every site, as a listed report without
``waves`` or ``sites`` does. :func:`describe_reports` says in one line which reports a study
asks for and whether they are the default set, for ``evaltools run``.
"""

from __future__ import annotations

from evaltools.study.model import TEMPLATES, UNPAIRED_DESIGNS, UNPAIRED_TEMPLATES, ReportSpec

__all__ = ["default_report_specs", "describe_reports", "DEFAULT_TEMPLATES"]

#: Templates of the default set per design, each with ``per``; the multi-site ones are added
#: when there are two sites or more.
DEFAULT_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "pre_post": (("data_quality", "study"), ("prepost", "site")),
    "controlled": (("data_quality", "study"), ("prepost", "site"), ("controlled", "site")),
    "randomised": (("data_quality", "study"), ("prepost", "site"), ("controlled", "site")),
    "repeated_cross_section": (("data_quality", "study"), ("controlled", "site")),
}
_MULTI_SITE = (("site_overview", "study"), ("site_synthesis", "study"))


def default_report_specs(design: str, has_comparison: bool, sites: list[str],
                         follow: list[str]) -> tuple[ReportSpec, ...]:
    """The default reports of a design (see the module docstring).

    Parameters
    ----------
    design : {"pre_post", "controlled", "randomised", "repeated_cross_section"}
    has_comparison : bool
        Whether the study has a comparison group (templates that compare groups need one).
    sites : list of str
        The study's site ids.
    follow : list of str
        The waves after the baseline.

    Examples
    --------
    >>> [s.template for s in default_report_specs("pre_post", False, ["a"], ["t1"])]
    ['data_quality', 'prepost']
    >>> [s.template for s in default_report_specs("controlled", True, ["a", "b"], ["t1"])]
    ['data_quality', 'prepost', 'controlled', 'site_overview', 'site_synthesis']
    >>> [s.template for s in default_report_specs("repeated_cross_section", True, ["a", "b"],
    ...                                           ["t1"])]
    ['data_quality', 'controlled']
    """
    chosen = list(DEFAULT_TEMPLATES.get(design, DEFAULT_TEMPLATES["pre_post"]))
    if len(sites) > 1:
        chosen += _MULTI_SITE
    if design in UNPAIRED_DESIGNS:  # different respondents every wave
        chosen = [(t, per) for t, per in chosen if t in UNPAIRED_TEMPLATES]
    return tuple(ReportSpec(template, per, tuple(follow), tuple(sites))
                 for template, per in chosen if has_comparison or not TEMPLATES[template])


def describe_reports(study) -> str:
    """One line saying which reports ``study`` asks for, and where that comes from.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> spec = default_report_specs("pre_post", False, ["a", "b"], ["t1"])
    >>> describe_reports(NS(reports=spec, reports_default=True, design="pre_post"))[:62]
    'reports.produce is absent in study.yml: the default set for a '
    """
    names = ", ".join(f"{s.template} ({'per site' if s.per == 'site' else 'study'})"
                      for s in study.reports)
    if getattr(study, "reports_default", False):
        return (f"reports.produce is absent in study.yml: the default set for a {study.design} "
                f"design: {names}; list reports.produce to choose")
    if not study.reports:
        return ("study.yml asks for no reports (reports.produce is empty): nothing to render; "
                "leave reports.produce out for the default set of the design")
    return f"study.yml asks for: {names}"
