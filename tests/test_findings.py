"""Reports say what the design supports: verdicts, headlines, counts and labels.

Built on the ingested demo study (a controlled design with intervention and comparison groups),
with its panel changed in memory to create the situations the reader must not be misled by.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from evaltools.analysis.effects import diff_in_diff, within_change
from evaltools.analysis.findings import oriented, primary_estimates, verdict
from evaltools.data.panel import participant_flow
from evaltools.reports import notebook
from evaltools.reports.notebook import Report
from evaltools.reports.overview import shown_level
from evaltools.study.model import AnalysisSpec

SYMPTOM = "djg_total"  # De Jong Gierveld loneliness: higher is worse


def _report(study, panel, template="controlled", language="nl", responses=None):
    return Report(study, template, "all", "t1", language, _panel=panel, _responses=responses)


def _shown(monkeypatch) -> list:
    """Collect what a report section displays, as HTML text."""
    shown: list = []
    monkeypatch.setattr(notebook, "display", lambda obj: shown.append(obj))
    return shown


def _html(objects) -> str:
    """The HTML of displayed objects (HTML blocks and figures with their alt text)."""
    return "\n".join(o.html() if hasattr(o, "html") else (getattr(o, "data", "") or "")
                     for o in objects if o is not None)


def _comparison_catches_up(study, panel):
    """The comparison group improves exactly as much as the intervention group."""
    out = panel.copy()
    did = diff_in_diff(panel, study, post="t1").set_index("scale")["estimate"]
    rows = (out["group"] == "controle") & (out["wave"] == "t1")
    for scale, shift in did.items():
        out.loc[rows, scale] = out.loc[rows, scale] + shift
    return out


@pytest.mark.parametrize(("estimate", "low", "high", "direction", "expected"), [
    (0.4, 0.1, 0.7, "higher_is_better", "favourable"),
    (0.4, 0.1, 0.7, "higher_is_worse", "unfavourable"),
    (-0.4, -0.7, -0.1, "higher_is_worse", "favourable"),
    (-0.4, -0.7, -0.1, "higher_is_better", "unfavourable"),
    (0.4, -0.1, 0.9, "higher_is_better", "unclear"),
    (0.0, 0.0, 0.5, "higher_is_better", "unclear"),
    (np.nan, np.nan, np.nan, "higher_is_better", "unclear"),
])
def test_verdict_follows_the_interval_and_the_scale_direction(estimate, low, high, direction,
                                                               expected):
    assert verdict(estimate, low, high, direction) == expected


def test_oriented_turns_symptom_scales_so_that_right_is_favourable():
    assert list(oriented([0.3, 0.3], ["higher_is_better", "higher_is_worse"])) == [0.3, -0.3]


def test_primary_estimator_follows_the_design(ingested_demo):
    study, panel = ingested_demo
    assert study.design == "controlled" and study.primary_method == "diff_in_diff"
    rct = dataclasses.replace(study, design="randomised")
    assert rct.primary_method == "ancova"
    chosen = dataclasses.replace(study, analysis=AnalysisSpec(primary="ancova"))
    found = primary_estimates(panel, chosen, post="t1")
    assert set(found["method"]) == {"ancova"} and set(found["effect_size_type"]) == {
        "hedges_g_wwc"}
    pre_post = dataclasses.replace(study, design="pre_post", groups=tuple(
        g for g in study.groups if g.role == "intervention"))
    found = primary_estimates(panel[panel["group"] == "interventie"], pre_post, post="t1")
    assert set(found["method"]) == {"within_change"} and not found["comparative"].any()


def test_catching_up_comparison_group_gives_no_clear_difference(ingested_demo, monkeypatch):
    """The issue's reference case: the comparison group improved as much as the intervention
    group, so no scale is "gunstiger" although the intervention group itself improved."""
    study, panel = ingested_demo
    caught = _comparison_catches_up(study, panel)
    own = within_change(caught, study, post="t1", by_site=False)
    mine = own[(own["group"] == "interventie") & (own["site"] == "all")]
    improved = [verdict(r.mean_change, r.ci_low, r.ci_high, r.direction) == "favourable"
                for r in mine.itertuples()]
    assert sum(improved) >= 5  # the intervention group itself did improve on several scales
    found = primary_estimates(caught, study, post="t1")
    assert set(found["verdict"]) == {"unclear"}
    report = _report(study, caught)
    shown = _shown(monkeypatch)
    report.summary()
    text = _html(shown)
    assert report.headline.startswith("0 van 18 schalen gunstiger dan de vergelijkingsgroep")
    assert text.count("geen duidelijk verschil met de vergelijkingsgroep") == 18
    assert ": gunstiger dan" not in text and "gunstige verandering" not in text
    assert "geen vergelijkingsgroep" not in text.lower()  # the pre-post caveat does not apply


def test_prepost_report_of_a_controlled_study_leads_with_the_comparison(ingested_demo,
                                                                         monkeypatch):
    study, panel = ingested_demo
    caught = _comparison_catches_up(study, panel)
    report = _report(study, caught, template="prepost")
    _shown(monkeypatch)
    report.summary()
    assert "vergelijkingsgroep" in report.headline and report.headline.startswith("0 van")


def test_a_symptom_scale_that_worsens_is_unfavourable_everywhere(ingested_demo, monkeypatch):
    study, panel = ingested_demo
    worse = panel.copy()
    rows = (worse["group"] == "interventie") & (worse["wave"] == "t1")
    worse.loc[rows, SYMPTOM] = worse.loc[rows, SYMPTOM] + 1.5  # more lonely after
    found = primary_estimates(worse, study, post="t1").set_index("scale")
    assert found.loc[SYMPTOM, "estimate"] > 0
    assert found.loc[SYMPTOM, "verdict"] == "unfavourable"
    for language, word in (("nl", "ongunstiger dan de vergelijkingsgroep"),
                           ("en", "less favourable than the comparison group")):
        report = _report(study, worse, language=language)
        shown = _shown(monkeypatch)
        report.summary()
        line = next(x for x in _html(shown).split("<li>") if "Jong Gierveld" in x)
        assert word in line
        assert ("1 ongunstiger" if language == "nl" else "1 less favourable") in report.headline
    # the overview applies the same rule and never shows an effectiveness level beside it
    assert shown_level("goede_aanwijzingen", "unfavourable") == "goed_onderbouwd"
    assert shown_level("goede_aanwijzingen", "unclear") == "goed_onderbouwd"
    assert shown_level("goede_aanwijzingen", "favourable") == "goede_aanwijzingen"
    assert shown_level("goed_beschreven", "unclear") == "goed_beschreven"


def test_missing_code_only_rows_are_not_measured_and_counts_agree(ingested_demo):
    """A wave row whose answers are all missing (blank or declared missing codes) scores no
    scale: the flow counts that respondent as a dropout, and the flow's completers equal the
    respondents every analysis can use."""
    study, panel = ingested_demo
    scales = [s.id for inst in study.instruments for s in inst.scales]
    post = panel[panel["wave"] == "t1"]
    empty_ids = post["respondent_id"].drop_duplicates().sample(25, random_state=1)
    blanked = panel.copy()
    hit = blanked["respondent_id"].isin(empty_ids) & (blanked["wave"] == "t1")
    blanked.loc[hit, scales] = np.nan
    before = participant_flow(panel, study)
    after = participant_flow(blanked, study)

    def stage(flow, name):
        rows = flow[(flow["site"] == "all") & (flow["stage"] == name) & (flow["wave"] == "t1")]
        return int(rows["n"].sum())

    was_both = set(panel.loc[panel["wave"] == "t0", "respondent_id"])
    lost = len(set(empty_ids) & was_both)
    assert stage(after, "completer") == stage(before, "completer") - lost
    assert stage(after, "dropout") == stage(before, "dropout") + lost
    # every respondent an analysis uses is a completer in the flow, and the scale with the
    # most respondents uses exactly the completers (any scored scale counts as measured)
    change = within_change(blanked, study, post="t1", by_site=False)
    change = change[change["site"] == "all"]
    per_scale = change.groupby("scale")["n"].sum()
    scored = blanked[scales].notna().any(axis=1)
    waves = blanked[scored].groupby("respondent_id")["wave"].agg(set)
    both = sum({"t0", "t1"} <= set(w) for w in waves)
    assert per_scale.max() <= stage(after, "completer") == both
    found = primary_estimates(blanked, study, post="t1")
    assert found["n"].max() <= stage(after, "completer")


def test_declared_missing_codes_count_as_missing_answers(ingested_demo, monkeypatch):
    study, panel = ingested_demo
    from evaltools.data.panel import load_responses

    responses = load_responses(study)
    inst = next(i for i in study.instruments
                if any(rs.missing for rs in i.response_scales.values()))
    item = next(it for it in inst.items if inst.response_scales[it.response_scale].missing)
    code = next(iter(inst.response_scales[item.response_scale].missing))
    coded = responses.copy()
    rows = coded.index[coded["wave"] == "t0"][: len(coded) // 10]
    coded.loc[rows, item.id] = code

    def share(frame):
        report = _report(study, panel, responses=frame)
        _shown(monkeypatch)
        report.data_quality()
        table = next(s.frame for s in report.tables if s.name == "missing_answers")
        return float(table.set_index("wave").loc["t0", "share_missing"])

    n_items = len(study.item_ids)
    answered = responses.loc[rows, item.id].isin(inst.response_scales[item.response_scale].values)
    assert answered.sum() > 10
    expected = share(responses) + answered.sum() / ((coded["wave"] == "t0").sum() * n_items)
    assert share(coded) == pytest.approx(expected, rel=1e-9)


def test_zero_dropouts_are_zero_not_suppressed(ingested_demo, monkeypatch):
    study, panel = ingested_demo
    stayed = panel[panel["respondent_id"].isin(
        panel.groupby("respondent_id")["wave"].nunique().loc[lambda s: s == 3].index)]
    report = _report(study, stayed)
    shown = _shown(monkeypatch)
    shown.append(report.attrition())
    text = _html(shown)
    assert "0 uitvallers" in text and "onderdrukt" not in text


def test_index_and_meta_use_labels_not_ids(ingested_demo, tmp_path):
    from evaltools.reports.render import write_index

    study, _ = ingested_demo
    folder = tmp_path / study.id / "t1" / "rotterdam-zuid" / "controlled" / "tables"
    folder.mkdir(parents=True)
    (folder.parent / "report.html").write_text("<html></html>")
    folder.joinpath("meta.json").write_text(json.dumps({
        "study": study.id, "template": "controlled", "site": "rotterdam-zuid", "wave": "t1",
        "language": "nl", "headline": "12 van 18 schalen gunstiger dan de vergelijkingsgroep",
        "study_title": study.title.get("nl"), "site_name": "Rotterdam Zuid",
        "wave_label": "Nameting"}))
    page = write_index(tmp_path, study.id).read_text()
    assert f"{study.title.get('nl')}</h1>" in page and f"<title>{study.title.get('nl')}" in page
    assert "<th scope='row'>Nameting</th><th scope='row'>Rotterdam Zuid</th>" in page
    assert "12 van 18 schalen gunstiger" in page and ">t1<" not in page
