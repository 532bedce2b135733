"""The planning report: one call per cell of ``notebooks/planning.ipynb``.

:class:`PlanningReport` opens a planning question (JSON written by ``evaltools plan``), answers
it with :mod:`evaltools.analysis.planning` and shows the question, the assumptions, the answer,
a power curve and the MDES per design choice, in Dutch or English.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML

from evaltools.analysis.planning import PlanningQuestion, answer_question
from evaltools.core.i18n import number, t
from evaltools.reports.html import Shown, escape, png, table_html, write_tables
from evaltools.reports.notebook import ReportParameterError
from evaltools.reports.plots import power_curve

__all__ = ["PlanningReport"]


@dataclass
class PlanningReport:
    """A planning question, its answers, and the tables shown so far."""

    question: PlanningQuestion
    language: str
    heading: str = ""
    inputs: pd.DataFrame | None = None
    simulation: pd.DataFrame | None = None
    tables: list[Shown] = field(default_factory=list)
    headline: str = ""
    answers: dict = field(default_factory=dict)

    @classmethod
    def open(cls, question: str, *, language: str = "nl", title: str = "", inputs: str = "",
             simulation: str = "") -> PlanningReport:
        """Check the notebook's parameters and answer the question."""
        if language not in ("nl", "en"):
            raise ReportParameterError(f"language={language!r}: expected 'nl' or 'en'")
        report = cls(PlanningQuestion.from_json(question), language, title,
                     pd.DataFrame(json.loads(inputs)) if inputs else None,
                     pd.DataFrame(json.loads(simulation)) if simulation else None)
        report.answers = answer_question(report.question)
        return report

    def tr(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def num(self, value, digits: int = 2) -> str:
        return number(value, self.language, digits)

    def keep(self, name: str, frame: pd.DataFrame) -> None:
        self.tables.append(Shown(name, frame.reset_index(drop=True)))

    def _table(self, header: list[str], rows: list[list[str]], label: str) -> str:
        return table_html("", header, rows, self, label=label).data

    # ------------------------------------------------------------------ cells
    def title(self):
        sub = f"<p class='subtitle'>{escape(self.heading)}</p>" if self.heading else ""
        return HTML(f"<h1>{escape(self.tr('plan.title'))}</h1>{sub}")

    def ask(self):
        q = self.question
        text = self.tr("plan.question_text", effect=self.num(q.effect),
                       power=self.num(q.power), design=self.tr(f"plan.kind.{q.design.kind}"),
                       clusters=self.tr("plan.clusters_part") if q.design.clustered else "")
        return HTML(f"<h2>{escape(self.tr('plan.question'))}</h2><p>{escape(text)}</p>")

    def assumptions(self):
        d = self.question.design
        values = d.to_dict()
        values["attrition"] = ", ".join(self.num(a) for a in d.attrition) or "0"
        values["alpha_adjusted"] = d.alpha_adjusted
        values["retention"] = d.retention
        shown = {k: v for k, v in values.items() if v is not None}
        frame = pd.DataFrame({"assumption": list(shown), "value": [str(v) for v in
                                                                   shown.values()]})
        self.keep("assumptions", frame)
        rows = [[k, self.num(v, 3) if isinstance(v, float) else str(v)]
                for k, v in shown.items()]
        html = f"<h2>{escape(self.tr('plan.assumptions'))}</h2>" + self._table(
            [self.tr("plan.assumption"), self.tr("plan.value")], rows,
            self.tr("plan.assumptions"))
        if self.inputs is not None and len(self.inputs):
            self.keep("inputs", self.inputs)
            cols = ["scale", "wave", "icc", "r_pre_post", "retention", "attrition"]
            html += (f"<h3>{escape(self.tr('plan.inputs'))}</h3><p>"
                     f"{escape(self.tr('plan.inputs_text'))}</p>" + self._table(
                         cols, [[r["scale"], r["wave"], *(self.num(r[c], 3) for c in cols[2:])]
                                for _, r in self.inputs.iterrows()], self.tr("plan.inputs")))
        return HTML(html)

    def answer(self):
        required = self.answers["required"].iloc[0]
        planned = self.answers["planned"]
        self.keep("required", self.answers["required"])
        n = self.num(required["n_enrolled"], 0)
        if self.question.design.clustered:
            text = self.tr("plan.answer_cluster", clusters=self.num(required["clusters"], 0),
                           size=self.num(required["cluster_size"], 0), n=n)
        else:
            text = self.tr("plan.answer_individual", n=n,
                           analysed=self.num(np.floor(required["n_enrolled"]
                                                      * required["retention"]), 0))
        self.headline = self.tr("plan.headline", n=n)
        parts = [text]
        if len(planned):
            self.keep("planned", planned)
            power = planned[planned["solve_for"] == "power"].iloc[0]
            mdes = planned[planned["solve_for"] == "mdes"].iloc[0]
            parts.append(self.tr("plan.answer_planned", n=self.num(power["n_enrolled"], 0),
                                 power=self.num(power["power"]), mdes=self.num(mdes["effect"])))
        return HTML(f"<h2>{escape(self.tr('plan.answer'))}</h2>"
                    + "".join(f"<p>{escape(p)}</p>" for p in parts))

    def curve(self):
        curve = self.answers["curve"]
        self.keep("power_curve", curve)
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        label = "plan.size_clusters" if self.question.design.clustered else "plan.size_persons"
        power_curve(curve, target=self.question.power, xlabel=self.tr(label),
                    ylabel=self.tr("plan.power"), ax=ax)
        ax.get_legend() and ax.get_legend().remove()
        return png(fig, alt=self.tr("plan.curve_alt", target=self.num(self.question.power),
                                    xlabel=self.tr(label)))

    def curve_heading(self):
        return HTML(f"<h2>{escape(self.tr('plan.curve'))}</h2>"
                    f"<p>{escape(self.tr('plan.curve_note'))}</p>")

    def choices(self):
        table = self.answers["choices"]
        self.keep("mdes_by_choice", table)
        rows = [[r["choice"], self.tr(f"plan.kind.{r['design']}"), self.num(r["n_enrolled"], 0),
                 self.num(r["mdes"])] for _, r in table.iterrows()]
        return HTML(f"<h2>{escape(self.tr('plan.choices'))}</h2>" + self._table(
            [self.tr("plan.choice"), self.tr("plan.design"), self.tr("plan.size_persons"),
             self.tr("plan.mdes")], rows, self.tr("plan.choices")))

    def simulated(self):
        if self.simulation is None or not len(self.simulation):
            return HTML("")
        self.keep("simulation", self.simulation)
        r = self.simulation.iloc[0]
        text = self.tr("plan.simulation_text", n_sims=self.num(r["n_sims"], 0),
                       estimator=r["estimator"], power=self.num(r["power"]),
                       power_se=self.num(r["power_mc_se"], 3),
                       coverage=self.num(r["coverage"]), bias=self.num(r["bias"], 3))
        return HTML(f"<h2>{escape(self.tr('plan.simulation'))}</h2><p>{escape(text)}</p>")

    def methods(self):
        return HTML(f"<h2>{escape(self.tr('plan.method'))}</h2>"
                    f"<p>{escape(self.tr('plan.method_text'))}</p>")

    def save_tables(self, folder: str = "tables") -> None:
        """Every table shown as CSV, all as JSON, and meta.json."""
        write_tables(self.tables, folder, {"template": "planning", "language": self.language,
                                           "headline": self.headline},
                     min_cell_size=None)  # planned sizes and assumptions: no respondents
