"""Figures for reports and notebooks. Plot functions compute nothing substantive: they take
the panel or a result table, draw, and return the Axes (or the Figure for reports)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from evaltools.effects._common import paired

__all__ = ["change_distribution", "estimates_plot"]


def change_distribution(panel: pd.DataFrame, study, *, scale: str, post: str,
                        language: str = "nl", title: str = "", caption: str = "",
                        ax=None):
    """The spread of individual change (post minus pre) per group, as violins with the mean.

    Groups with fewer respondents than the study's minimum cell size are left out: the figure
    never shows individual values of small groups (a violin shows a smoothed density, not
    points). Returns the Figure when it made one, else the Axes.
    """
    pairs = paired(panel, scale, study.baseline.id, post)
    pairs["change"] = pairs["post"] - pairs["pre"]
    labels = {g.id: g.label.get(language) for g in study.groups}
    counts = pairs["group"].value_counts()
    keep = [g.id for g in study.groups if counts.get(g.id, 0) >= study.min_cell_size]
    data = pairs[pairs["group"].isin(keep)].assign(group=lambda d: d["group"].map(labels))
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.4, 2.6), dpi=100)
    if len(data):
        order = [labels[g] for g in keep]
        values = [data.loc[data["group"] == name, "change"].to_numpy() for name in order]
        positions = np.arange(len(order))
        parts = ax.violinplot(values, positions=positions, orientation="horizontal",
                              showextrema=False, widths=0.8)
        for body in parts["bodies"]:
            body.set(facecolor="#c6dbef", edgecolor="#555555", linewidth=0.8, alpha=1.0)
        ax.scatter([v.mean() for v in values], positions, color="#08519c", zorder=3,
                   label="mean" if language == "en" else "gemiddelde")
        ax.set_yticks(positions, order)
        ax.invert_yaxis()
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.axvline(0, color="#555555", linewidth=0.8, linestyle="--")
    ax.set_ylabel("")
    ax.set_xlabel("change (after - before)" if language == "en"
                  else "verandering (na - voor)")
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    if own:
        import textwrap

        lines = textwrap.wrap(caption, 105) if caption else []
        fig.tight_layout(rect=(0, 0.06 * len(lines), 1, 1))
        if lines:
            fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, ha="left", va="bottom")
        plt.close(fig)
        return fig
    return ax


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
