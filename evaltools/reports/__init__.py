"""Reports as a reader meets them: the notebook-facing :class:`Report` and its sections, HTML
helpers, plots, rendering notebooks to HTML, the index pages and the "Wat werkt" overview.

May import from every layer below: core, instruments, study, data, analysis and register.
"""

from evaltools.reports.html import (
    Shown,
    count_text,
    escape,
    png,
    suppress_count,
    table_html,
    write_tables,
)
from evaltools.reports.inputs import data_slice
from evaltools.reports.notebook import TEMPLATE_TITLES, Report, ReportParameterError
from evaltools.reports.overview import OVERVIEW_FOLDER, Overview, render_overview
from evaltools.reports.plots import change_distribution, estimates_plot, forest_plot
from evaltools.reports.render import (
    RenderedReport,
    ReportError,
    declared_reports,
    notebooks_dir,
    render_all,
    render_report,
    template_parameters,
    write_index,
)

__all__ = [
    "Report",
    "ReportParameterError",
    "TEMPLATE_TITLES",
    "Shown",
    "write_tables",
    "png",
    "escape",
    "suppress_count",
    "count_text",
    "table_html",
    "change_distribution",
    "estimates_plot",
    "forest_plot",
    "data_slice",
    "render_report",
    "render_all",
    "declared_reports",
    "write_index",
    "template_parameters",
    "ReportError",
    "RenderedReport",
    "notebooks_dir",
    "Overview",
    "render_overview",
    "OVERVIEW_FOLDER",
]
