"""Reports as a reader meets them: the notebook-facing :class:`Report` and its sections, HTML
helpers, plots, rendering notebooks to HTML, the index pages and the "Wat werkt" overview.

May import from every layer below: core, instruments, study, data, analysis and register.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.reports.html": ["Shown", "write_tables", "png", "escape", "suppress_count",
        "count_text", "table_html"],
    "evaltools.reports.inputs": ["data_slice"],
    "evaltools.reports.index": ["write_index", "TEMPLATE_TITLES", "OVERVIEW_FOLDER"],
    "evaltools.reports.notebook": ["Report", "ReportParameterError"],
    "evaltools.reports.overview": ["Overview", "render_overview"],
    "evaltools.reports.plots": ["change_distribution", "estimates_plot", "forest_plot"],
    "evaltools.reports.layout": ["declared_reports", "ReportError", "notebooks_dir"],
    "evaltools.reports.render": ["render_report", "render_all",
        "template_parameters", "RenderedReport"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
