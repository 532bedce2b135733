"""The evidence register: aggregate results of every study in one database table
(:mod:`~evaltools.register.database`), its columns, collecting a study's rows, and exchange files.

May import from core, instruments, study, data and analysis.
"""

from evaltools.register.collect import collect, inputs_fingerprint
from evaltools.register.columns import (
    COLUMN_NAMES,
    COLUMNS,
    DESIGNS,
    KEY_COLUMNS,
    LEVELS,
    TABLE,
    WWC,
    Column,
    metadata,
    results,
)
from evaltools.register.database import (
    CELL_FLOOR,
    REGISTER_ENV,
    Register,
    RegisterError,
    check_rows,
    current_rows,
    register_url,
    result_id,
    rows_fingerprint,
)
from evaltools.register.exchange import (
    FORMATS,
    SCHEMA_VERSION,
    export_register,
    import_register,
    json_schema,
    read_export,
)

__all__ = [
    "Register",
    "RegisterError",
    "register_url",
    "check_rows",
    "result_id",
    "rows_fingerprint",
    "current_rows",
    "REGISTER_ENV",
    "CELL_FLOOR",
    "Column",
    "COLUMNS",
    "COLUMN_NAMES",
    "KEY_COLUMNS",
    "TABLE",
    "metadata",
    "results",
    "DESIGNS",
    "WWC",
    "LEVELS",
    "collect",
    "inputs_fingerprint",
    "export_register",
    "import_register",
    "read_export",
    "json_schema",
    "SCHEMA_VERSION",
    "FORMATS",
]
