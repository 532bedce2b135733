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

__all__ = [
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
