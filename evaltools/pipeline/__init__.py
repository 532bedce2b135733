"""``evaltools run``: the incremental pipeline for scheduled use, its ledger of jobs and the
warm kernels that render reports.

May import from every layer below, up to and including reports.
"""

from evaltools.pipeline.ledger import JOB_STATES, Ledger
from evaltools.pipeline.run import (
    STATUS_COLUMNS,
    PlannedReport,
    RunLockedError,
    RunResult,
    plan_reports,
    report_status,
    run_study,
)
from evaltools.reports.inputs import data_slice  # here before 0.2; it belongs to reports

__all__ = [
    "data_slice",
    "run_study",
    "plan_reports",
    "report_status",
    "RunLockedError",
    "PlannedReport",
    "RunResult",
    "STATUS_COLUMNS",
    "Ledger",
    "JOB_STATES",
]
