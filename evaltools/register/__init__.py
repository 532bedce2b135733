"""The evidence register: aggregate results of every study in one database table
(:mod:`~evaltools.register.database`), its columns, collecting a study's rows, and exchange files.

May import from core, instruments, study, data and analysis.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.register.collect": ["collect", "inputs_fingerprint"],
    "evaltools.register.columns": ["Column", "COLUMNS", "COLUMN_NAMES", "KEY_COLUMNS", "TABLE",
        "metadata", "results", "DESIGNS", "WWC", "LEVELS"],
    "evaltools.register.database": ["Register", "RegisterError", "register_url", "check_rows",
        "result_id", "rows_fingerprint", "current_rows", "REGISTER_ENV", "CELL_FLOOR"],
    "evaltools.register.exchange": ["export_register", "import_register", "read_export",
        "json_schema", "SCHEMA_VERSION", "FORMATS"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
