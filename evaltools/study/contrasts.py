"""What a study will compare, in words: every intervention arm against every comparison arm,
the omnibus test across arms, and the adjustment (``evaltools validate`` prints it)."""

from __future__ import annotations

from evaltools.study.model import Study

__all__ = ["planned_contrasts", "describe_contrasts"]


def planned_contrasts(study: Study) -> list[dict]:
    """One entry per reported comparison: ``{"intervention", "comparison"}`` (group ids).

    Every intervention arm meets every comparison arm (:attr:`Study.contrasts`); a design
    without a comparison group reports the intervention arm's change (``comparison`` None).
    """
    if not study.has_comparison:
        return [{"intervention": g, "comparison": None} for g in study.arms("intervention")]
    return [{"intervention": i, "comparison": c} for i, c in study.contrasts]


def describe_contrasts(study: Study) -> list[str]:
    """Lines stating what every report, the register and the overview will compare.

    For the demo study: ``contrasts (1, ...): interventie vs. controle``, the primary
    estimator, ``adjusted for: baseline score`` and its subgroups.
    """
    lines = []
    if not study.has_comparison:
        arms = ", ".join(study.arms("intervention")) or "intervention"
        lines.append(f"no comparison group: reports the change of {arms} (pre-post)")
    else:
        pairs = "; ".join(f"{i} vs. {c}" for i, c in study.contrasts)
        lines.append(f"contrasts ({len(study.contrasts)}, each in every report, the register "
                     f"and the overview): {pairs}")
        lines.append(f"primary estimator: {study.primary_method}")
        if len(study.groups) > 2:
            lines.append(f"omnibus across the {len(study.groups)} arms: type II F of the group "
                         "factor, with the adjusted mean of every arm")
    adjust = ["baseline score", *study.analysis.covariates] if study.has_comparison else []
    if adjust:
        lines.append("ANCOVA adjusted for: " + ", ".join(adjust))
    if study.subgroups:
        lines.append("subgroups: " + ", ".join(s.column for s in study.subgroups))
    return lines
