"""``evaltools run``: the incremental pipeline for scheduled use, its ledger of jobs and the
warm kernels that render reports.

May import from every layer below, up to and including reports.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.pipeline.ledger": ["Ledger", "JOB_STATES"],
    "evaltools.pipeline.plan": ["plan_reports", "PlannedReport", "STATUS_COLUMNS"],
    "evaltools.pipeline.run": ["run_study", "report_status", "RunLockedError", "RunResult"],
    "evaltools.reports.inputs": ["data_slice"],  # here before 0.2; it belongs to reports
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
