"""``evaltools plan``: sample size, power and MDES for a planned study, and its report."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import click
import pandas as pd

from evaltools.analysis.planning import (
    DESIGNS,
    PlanningError,
    PlanningQuestion,
    SimulationPlan,
    answer_question,
    design_from_inputs,
    planning_inputs,
    simulate_power,
)
from evaltools.cli.common import EPILOG, friendly
from evaltools.reports.render import execute_and_place
from evaltools.study.load import load_study

__all__ = ["plan"]

#: Flags that set a design assumption: option name -> PlanDesign field.
_DESIGN_FLAGS = {"design": "kind", "alpha": "alpha", "sides": "sides",
                 "share_treated": "share_treated", "r_pre_post": "r_pre_post", "icc": "icc",
                 "cluster_size": "cluster_size", "r2_individual": "r2_individual",
                 "r2_cluster": "r2_cluster", "omega": "omega", "outcomes": "n_outcomes",
                 "adjust": "adjust"}


@click.command(epilog=EPILOG)
@click.argument("study", required=False,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--from", "source", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="An ingested earlier study (a pilot, earlier waves) to estimate the ICC, "
                   "the pre-post correlation and the attrition from.")
@click.option("--scale", help="The scale whose earlier data feed the plan (with --from).")
@click.option("--design", type=click.Choice(list(DESIGNS)), help="The design to plan.")
@click.option("--effect", type=float, help="Effect hoped for, in SD units (e.g. 0.2).")
@click.option("--power", type=float, help="Power wanted (default 0.8).")
@click.option("--n", type=int, help="Persons the study can enrol (designs without clusters).")
@click.option("--clusters", type=int, help="Clusters the study can enrol (cluster designs).")
@click.option("--cluster-size", type=int, help="Persons per cluster.")
@click.option("--icc", type=float, help="Intraclass correlation between clusters.")
@click.option("--r-pre-post", type=float, help="Correlation between baseline and later wave.")
@click.option("--r2-individual", type=float, help="Cluster designs: person-level R^2.")
@click.option("--r2-cluster", type=float, help="Cluster designs: cluster-level R^2.")
@click.option("--omega", type=float, help="Multisite: effect variance over cluster variance.")
@click.option("--share-treated", type=float, help="Share in the intervention group.")
@click.option("--attrition", help="Dropout per wave after the baseline, e.g. '0.2,0.1'.")
@click.option("--alpha", type=float, help="Type I error rate (default 0.05).")
@click.option("--sides", type=click.Choice(["1", "2"]), help="One- or two-sided test.")
@click.option("--outcomes", type=int, help="Number of primary outcomes.")
@click.option("--adjust", type=click.Choice(["none", "bonferroni", "holm", "bh"]),
              help="Multiple-outcome correction of alpha.")
@click.option("--simulate", "n_sims", type=int, default=None,
              help="Also check by simulating this many studies (e.g. 1000).")
@click.option("--generator", type=click.Choice(["study", "scores"]), default=None,
              help="What each simulated study is drawn by: the project's simulator (item "
                   "answers, scored; the default where it can express the design) or scale "
                   "scores drawn directly.")
@click.option("--seed", type=int, default=None, help="Seed of the simulation.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Local processes for the simulation.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Local processes, or an existing Dask cluster.")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (--executor dask).")
@click.option("--language", "-l", type=click.Choice(["nl", "en"]), default=None,
              help="Report language (default: the study's, else nl).")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True)
@click.option("--no-report", is_flag=True, help="Print the tables only.")
@friendly
def plan(study: Path | None, source: Path | None, scale: str | None, n_sims: int | None,
         generator: str | None, seed: int | None, workers: int, executor: str,
         scheduler: str | None,
         language: str | None, reports_dir: Path, no_report: bool, **flags) -> None:
    """Plan a study: sample size, power and minimum detectable effect (MDES).

    The question comes from STUDY's study.yml `planning:` section, from flags (which win), and
    with --from from an earlier study's data. Prints the answer and writes a planning report
    to REPORTS_DIR/<study id>/planning/report.html.
    """
    definition = load_study(study) if study else None
    section = dict((definition.planning if definition else None) or {})
    effect, power, n, clusters = (flags.pop(k) for k in ("effect", "power", "n", "clusters"))
    attrition = flags.pop("attrition")
    for option, key in _DESIGN_FLAGS.items():
        value = flags.get(option)
        if value is not None:
            section["design" if key == "kind" else key] = int(value) if key == "sides" else value
    if attrition is not None:
        try:
            section["attrition"] = [float(a) for a in attrition.split(",") if a.strip()]
        except ValueError:
            raise click.BadParameter(f"{attrition!r}: expected shares like '0.2,0.1'",
                                     param_hint="--attrition") from None
    for key, value in (("effect", effect), ("power", power), ("n", n), ("clusters", clusters),
                       ("scale", scale)):
        if value is not None:
            section[key] = value
    if not section.get("design"):
        raise PlanningError("no design to plan: give --design or a `planning:` section with "
                            "`design:` in study.yml")
    question = PlanningQuestion.from_mapping(section)
    inputs = None
    if source is not None:
        earlier = load_study(source)
        inputs = planning_inputs(earlier, scales=question.scale)
        chosen = question.scale or str(inputs["scale"].iloc[0])
        inputs = inputs[inputs["scale"] == chosen]
        design = design_from_inputs(question.design, inputs, scale=chosen)
        question = replace(question, design=design)
        click.echo(f"assumptions from {source} (scale {chosen}): icc={design.icc:g}, "
                   f"r_pre_post={design.r_pre_post:g}, attrition="
                   + ",".join(f"{a:g}" for a in design.attrition))
    answers = answer_question(question)
    _print(question, answers)
    simulation = None
    settings = dict(question.simulate)
    n_sims = n_sims if n_sims is not None else int(settings.pop("n_sims", 0) or 0)
    settings.pop("n_sims", None)
    seed = seed if seed is not None else int(settings.pop("seed", 20240901))
    settings.pop("seed", None)
    if n_sims:
        size = question.size_kwargs() or question.size_kwargs(
            answers["required"]["clusters" if question.design.clustered
                                else "n_enrolled"].iloc[0])
        generator = generator or settings.pop("generator", None)
        settings.pop("generator", None)
        sim_plan = _simulation_plan(question, size, settings, generator)
        simulation = simulate_power(sim_plan, n_sims=n_sims, seed=seed, workers=workers,
                                    executor=executor, scheduler=scheduler, progress=True)
        r = simulation.iloc[0]
        click.echo(f"simulation ({n_sims} studies drawn by "
                   + ("the project's simulator" if r["generator"] == "study" else
                      "the scores model") + f", {r['estimator']}): power {r['power']:.3f} "
                   f"(MC SE {r['power_mc_se']:.3f}), coverage {r['coverage']:.3f}, "
                   f"bias {r['bias']:.3f}; {r['seconds']:.1f} s")
    if no_report:
        return
    lang = language or (definition.language if definition else "nl")
    study_id = definition.id if definition else "plan"
    final = Path(reports_dir) / study_id / "planning"
    work = Path(tempfile.mkdtemp(prefix="evaltools-plan-"))
    parameters = {"question": question.to_json(), "language": lang,
                  "title": definition.title.get(lang) if definition else "",
                  "inputs": inputs.to_json(orient="records") if inputs is not None else "",
                  "simulation": (simulation.to_json(orient="records")
                                 if simulation is not None else "")}
    try:
        execute_and_place("planning", parameters, final, work, title="evaltools plan",
                          language=lang, private=[], what="the planning report")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    click.echo(f"report: {final / 'report.html'}")


def _simulation_plan(question: PlanningQuestion, size: dict, settings: dict,
                     generator: str | None) -> SimulationPlan:
    """The design point to simulate: by the project's simulator unless asked otherwise or the
    simulator cannot express the design (then the scores model, with a note why)."""
    sizes = {k: int(v) for k, v in size.items()}
    if generator is not None:
        return SimulationPlan(question.design, question.effect, **sizes, **settings,
                              generator=generator)
    try:
        return SimulationPlan(question.design, question.effect, **sizes, **settings,
                              generator="study")
    except PlanningError as error:
        click.echo(f"note: {error}; simulating scale scores instead")
        return SimulationPlan(question.design, question.effect, **sizes, **settings)


def _print(question: PlanningQuestion, answers: dict[str, pd.DataFrame]) -> None:
    required = answers["required"].iloc[0]
    d = question.design
    click.echo(f"design {d.kind}: effect {question.effect:g} SD, power {question.power:g}, "
               f"alpha {d.alpha_adjusted:g} ({d.sides}-sided), retention {d.retention:.3f}")
    if d.clustered:
        click.echo(f"required: {int(required['clusters'])} clusters of {d.cluster_size} "
                   f"({int(required['n_enrolled'])} persons enrolled)")
    else:
        click.echo(f"required: {int(required['n_enrolled'])} persons enrolled "
                   f"({required['n_analysed']:.1f} analysed)")
    planned = answers["planned"]
    if len(planned):
        power = planned[planned["solve_for"] == "power"].iloc[0]
        mdes = planned[planned["solve_for"] == "mdes"].iloc[0]
        click.echo(f"planned {int(power['n_enrolled'])} persons: power {power['power']:.3f}, "
                   f"MDES {mdes['effect']:.3f}")
    choices = answers["choices"][["choice", "design", "n_enrolled", "mdes"]]
    click.echo(choices.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
