"""A report's parameters checked against its study: light enough for the processes that only
render notebooks (the analyses behind a report run in its kernel)."""

from __future__ import annotations

from evaltools.core.errors import EvaltoolsError
from evaltools.study.model import TEMPLATES, UNPAIRED_TEMPLATES, Study

__all__ = ["ReportParameterError", "check_parameters"]


class ReportParameterError(EvaltoolsError):
    """A report was asked for with parameters the study or template does not allow."""

    exit_code = 2


def check_parameters(study: Study, template: str, site: str, wave: str, language: str):
    """``(template, site, wave, language)`` with the defaults filled in (the first wave after
    the baseline, the study's language); raises :class:`ReportParameterError` naming the
    parameter, its value and the allowed values."""
    def bad(name, value, allowed):
        raise ReportParameterError(f"report parameter {name}={value!r} is not valid for study "
                                   f"{study.id!r}; allowed: " + ", ".join(map(repr, allowed)))

    if template not in TEMPLATES:
        bad("template", template, list(TEMPLATES))
    if TEMPLATES[template] and not study.has_comparison:
        raise ReportParameterError(f"template {template!r} needs a comparison group; study "
                                   f"{study.id!r} has design {study.design!r}")
    if not study.paired and template not in UNPAIRED_TEMPLATES:
        raise ReportParameterError(f"template {template!r} needs respondents followed across "
                                   f"waves; study {study.id!r} is a repeated cross-section "
                                   f"(allowed: {', '.join(UNPAIRED_TEMPLATES)})")
    sites = ["all", *(s.id for s in study.sites)]
    if site not in sites:
        bad("site", site, sites)
    later = [w.id for w in study.waves if w.id != study.baseline.id]
    wave = wave or later[0]
    if wave not in later:
        bad("wave", wave, later)
    language = language or study.language
    if language not in ("nl", "en"):
        bad("language", language, ["nl", "en"])
    return template, site, wave, language
