"""Figures for reports and notebooks. Plot functions compute nothing substantive: they take
the panel or a result table, draw, and return the Axes (or the Figure for reports)."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evaltools.analysis.effects.common import paired

__all__ = ["ChangeFigures", "change_distribution", "estimates_plot", "forest_plot", "key_figure"]


def change_distribution(panel: pd.DataFrame, study, *, scale: str, post: str,
                        language: str = "nl", title: str = "", caption: str = "",
                        ax=None):
    """The spread of individual change (post minus pre) per group, as violins with the mean.

    Groups with fewer respondents than the study's minimum cell size are left out, and each
    violin is drawn from the middle 90 % of its group's changes (5th to 95th percentile), so that
    its ends never show an individual's extreme change; the dot is the mean of all. Returns the
    Figure when it made one, else the Axes.
    """
    order, values = _changes(panel, study, scale, post, language)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=CHANGE_SIZE, dpi=96)
    _change_frame(ax, order, language)
    _change_data(ax, values, language, legend=True)
    ax.set_title(title, fontsize=10, loc="left", parse_math=False)
    if own:
        lines = textwrap.wrap(caption, 105) if caption else []
        # what tight_layout(rect=(0, 0.06 * len(lines), 1, 1)) sets, in one of its two passes:
        # its second pass keeps the first one's margins and raises the bottom (a third of a
        # report's figure time)
        fig.tight_layout()
        if lines:
            fig.subplots_adjust(bottom=fig.subplotpars.bottom + 0.06 * len(lines))
            fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, ha="left", va="bottom")
        plt.close(fig)
        return fig
    return ax


#: A change figure's size in inches.
CHANGE_SIZE = (6.4, 2.6)


def _changes(panel: pd.DataFrame, study, scale: str, post: str, language: str
             ) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """The labels of the groups shown (at least the minimum cell size) and their changes."""
    pairs = paired(panel, scale, study.baseline.id, post)
    change = (pairs["post"] - pairs["pre"]).to_numpy(float)
    group = pairs["group"].to_numpy(object)
    shown = [g for g in study.groups if (group == g.id).sum() >= study.min_cell_size]
    return (tuple(g.label.get(language) for g in shown),
            [change[group == g.id] for g in shown])


def _change_frame(ax, order: tuple[str, ...], language: str) -> None:
    """What a change figure's Axes show whatever the scale: zero line, groups, axis label."""
    ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
    if order:
        ax.set_yticks(np.arange(len(order)), order)
        ax.invert_yaxis()
    ax.set_ylabel("")
    ax.set_xlabel("change (after - before)" if language == "en"
                  else "verandering (na - voor)")


def _change_data(ax, values: list[np.ndarray], language: str, *, legend: bool) -> list:
    """One scale's violins and means on a change figure's Axes; returns the artists."""
    if not values:
        return []
    positions = np.arange(len(values))
    parts = ax.violinplot([_middle(v) for v in values], positions=positions,
                          orientation="horizontal", showextrema=False, widths=0.8)
    for body in parts["bodies"]:
        body.set(facecolor="#c6dbef", edgecolor="#555555", linewidth=0.8, alpha=1.0)
    means = ax.scatter([v.mean() for v in values], positions, color="#08519c", zorder=3,
                       label="mean" if language == "en" else "gemiddelde")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return [*parts["bodies"], means]


class ChangeFigures:
    """:func:`change_distribution`'s figures drawn on one kept Figure per group layout.

    A report shows a change figure per protective factor and a kernel renders report after
    report: making the Figure, its Axes and their ticks anew each time was a third of a
    figure's time, and a kept Figure's renderer keeps its text measurements. Only the scale's
    violins, means and title change; the layout starts from the same subplot parameters and
    is laid out again, so the pixels are those of a new figure (tests/test_report.py).
    A Figure from :meth:`draw` is valid until the next call; save it (for example with
    :func:`evaltools.reports.html.png`) before drawing the next scale.
    """

    def __init__(self, keep: int = 8):
        self.keep = keep
        self._kept: dict[tuple, tuple] = {}

    def draw(self, panel: pd.DataFrame, study, *, scale: str, post: str,
             language: str = "nl", title: str = ""):
        """The change figure of ``scale`` (as :func:`change_distribution` without a caption)."""
        order, values = _changes(panel, study, scale, post, language)
        key = (order, language)
        if key not in self._kept:
            if len(self._kept) >= self.keep:
                self._kept.pop(next(iter(self._kept)))
            fig = Figure(figsize=CHANGE_SIZE, dpi=96)
            FigureCanvasAgg(fig)
            ax = fig.subplots()
            _change_frame(ax, order, language)
            self._kept[key] = (fig, ax, vars(fig.subplotpars).copy(), [])
            legend = True
        else:
            legend = False
        fig, ax, start, drawn = self._kept[key]
        for artist in drawn:
            artist.remove()
        if values:  # the data limits of these violins and means, and the zero line's x
            ax.ignore_existing_data_limits = True
            drawn[:] = _change_data(ax, values, language, legend=legend)
            ax.dataLim.update_from_data_x([0.0], ignore=False)
        ax.set_title(title, fontsize=10, loc="left", parse_math=False)
        fig.subplots_adjust(**start)
        fig.tight_layout()
        return fig


def _middle(values: np.ndarray, share: float = 0.90) -> np.ndarray:
    """The values between the (1 - share)/2 and (1 + share)/2 quantiles."""
    low, high = np.quantile(values, [(1 - share) / 2, (1 + share) / 2])
    kept = values[(values >= low) & (values <= high)]
    return kept if len(kept) >= 2 else values


def estimates_plot(table: pd.DataFrame, *, label: str = "scale", ax=None):
    """Estimates with their intervals (a result table with ``estimate, ci_low, ci_high``)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.4 * len(table) + 1))
    y = np.arange(len(table))
    ax.errorbar(table["estimate"], y, xerr=[table["estimate"] - table["ci_low"],
                                            table["ci_high"] - table["estimate"]],
                fmt="o", color="#08519c", ecolor="#6baed6", capsize=3)
    ax.set_yticks(y, table[label])
    ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
    ax.invert_yaxis()
    return ax


#: Colours per verdict (colour-blind safe, with enough contrast on white).
VERDICT_COLOURS = {"favourable": "#1b7837", "unfavourable": "#b2182b", "unclear": "#4d4d4d"}


def key_figure(findings: pd.DataFrame, *, labels: dict[str, str], groups: dict[str, str],
               xlabel: str, left: str, right: str, ax=None):
    """The one figure policy staff read first: each scale's primary effect with its interval.

    ``findings`` is :func:`evaltools.analysis.findings.primary_estimates` output. Effects are
    turned so that right is favourable whatever the scale's direction, and grouped by
    protective factor (``groups``: factor id -> heading); ``labels`` maps scale ids (or
    ``(scale, intervention, comparison)`` for a study with several arms) to names.
    Suppressed rows are left out. Returns the Figure when it made one, else the Axes.
    """
    shown = findings[~findings["suppressed"].astype(bool)]
    rows: list[tuple[str, object]] = []  # ("factor", heading) or ("scale", row)
    for factor, block in shown.groupby("protective_factor", sort=False):
        rows.append(("factor", groups.get(factor, factor)))
        rows += [("scale", r) for r in block.itertuples()]
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.4, 0.28 * len(rows) + 1.1), dpi=96)
    ticks, names = [], []
    # per verdict: the intervals as one line broken by NaN, the estimates as one line of
    # markers (two lines a row made a third of the figure's time; rows never overlap)
    drawn: dict[str, tuple[list, list, list, list]] = {}
    for y, (kind, item) in enumerate(rows):
        if kind == "factor":
            ax.text(0.0, y, item, transform=ax.get_yaxis_transform(), ha="right",
                    va="center", fontsize=8, fontweight="bold", color="#222222",
                    clip_on=False)
            continue
        sign = -1.0 if item.direction == "higher_is_worse" else 1.0
        lo, hi = sorted((sign * item.effect_size_ci_low, sign * item.effect_size_ci_high))
        line_x, line_y, dot_x, dot_y = drawn.setdefault(item.verdict, ([], [], [], []))
        line_x += [lo, hi, np.nan]
        line_y += [y, y, np.nan]
        dot_x.append(sign * item.effect_size)
        dot_y.append(y)
        ticks.append(y)
        pair = (item.scale, getattr(item, "intervention", None), getattr(item, "comparison", None))
        names.append("   " + labels.get(pair, labels.get(item.scale, item.scale)))
    for verdict, (line_x, line_y, dot_x, dot_y) in drawn.items():
        colour = VERDICT_COLOURS[verdict]
        ax.plot(line_x, line_y, color=colour, linewidth=1.6)
        ax.plot(dot_x, dot_y, marker="o", linestyle="", color=colour, markersize=5)
    ax.axvline(0, color="#333333", linewidth=0.9)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.8)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.text(0.0, 1.0, left, transform=ax.transAxes, ha="left", va="bottom", fontsize=8,
            color=VERDICT_COLOURS["unfavourable"])
    ax.text(1.0, 1.0, right, transform=ax.transAxes, ha="right", va="bottom", fontsize=8,
            color=VERDICT_COLOURS["favourable"])
    low, high = ax.get_xlim()
    reach = max(abs(low), abs(high), 0.3)
    ax.set_xlim(-reach, reach)
    ax.spines[["top", "right"]].set_visible(False)
    if own:
        fig.tight_layout()
        plt.close(fig)
        return fig
    return ax


def forest_plot(studies: pd.DataFrame, pooled: pd.Series | dict | None = None, *,
                label: str = "site", estimate: str = "effect_size", ci_low: str = "ci_low",
                ci_high: str = "ci_high", se: str | None = "se", variance: str | None = None,
                pooled_label: str = "RE", xlabel: str = "", ax=None):
    """A forest plot: each row's estimate and interval, the pooled diamond, the prediction
    interval as a line through the diamond.

    Parameters
    ----------
    studies : DataFrame
        One row per site or study (rows with a missing estimate are drawn as labels only).
    pooled : Series or dict, optional
        A row of :func:`evaltools.analysis.synthesis.meta_analysis` (``estimate, ci_low, ci_high``,
        ``pi_low, pi_high``).
    se, variance : str, optional
        Column whose inverse square (``se``) or inverse (``variance``) sizes the squares (the
        weight of a row); ``variance`` takes precedence; both None: equal sizes.

    Returns
    -------
    Axes
    """
    n = len(studies)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.32 * (n + 2) + 0.9))
    y = np.arange(n, dtype=float)
    est = studies[estimate].to_numpy(float)
    low, high = studies[ci_low].to_numpy(float), studies[ci_high].to_numpy(float)
    ok = np.isfinite(est)
    ax.hlines(y[ok], low[ok], high[ok], color="#4d4d4d", linewidth=1.1)
    if (se is not None or variance is not None) and ok.any():
        weight = (1 / studies[variance].to_numpy(float)[ok] if variance is not None
                  else 1 / studies[se].to_numpy(float)[ok] ** 2)
        sizes = 25 + 150 * weight / weight.max()
    else:
        sizes = 60
    ax.scatter(est[ok], y[ok], s=sizes, marker="s", color="#08519c", zorder=3)
    labels = list(studies[label].astype(str))
    if pooled is not None and np.isfinite(pooled.get("estimate", np.nan)):
        yp = n + 0.6
        mid, lo, hi = pooled["estimate"], pooled["ci_low"], pooled["ci_high"]
        pi_low, pi_high = pooled.get("pi_low", np.nan), pooled.get("pi_high", np.nan)
        if np.isfinite(pi_low) and np.isfinite(pi_high):
            ax.hlines(yp, pi_low, pi_high, color="#b2182b", linewidth=1.2)
        ax.fill([lo, mid, hi, mid], [yp, yp - 0.35, yp, yp + 0.35], color="#b2182b",
                zorder=3)
        y = np.append(y, yp)
        labels.append(pooled_label)
    ax.set_yticks(y, labels)
    ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
    ax.set_ylim(y.max() + 0.8, -0.8)
    if xlabel:
        ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def power_curve(curve: pd.DataFrame, *, target: float | None = None, xlabel: str = "n",
                ylabel: str = "power", ax=None):
    """Power over sample size (a planning curve), one line per design.

    Parameters
    ----------
    curve : DataFrame
        ``design, size, power`` (from :func:`evaltools.analysis.planning.answer_question`).
    target : float, optional
        The power wanted, drawn as a dotted line.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.6))
    for design, block in curve.groupby("design", sort=False):
        ax.plot(block["size"], block["power"], marker="o", markersize=3, label=design)
    if target is not None:
        ax.axhline(target, linestyle=":", color="grey")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return ax
