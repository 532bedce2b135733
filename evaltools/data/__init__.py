"""Wave files to a pseudonymised store: reading files, validating rows, pseudonyms, ingesting,
the store and its manifest, and the panel (scored scales per respondent and wave).

May import from core, instruments and study.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.data.ingest": ["ingest", "check_data", "discover_files", "FileOutcome",
        "IngestResult"],
    "evaltools.data.panel": ["load_responses", "load_panel", "participant_flow", "attrition",
        "FLOW_COLUMNS", "ATTRITION_COLUMNS", "NothingIngestedError"],
    "evaltools.data.pseudonym": ["StudyKeyError", "StudyKey", "load_key", "create_key",
        "pseudonymise", "key_env_name", "default_key_file", "normalise_id"],
    "evaltools.data.readers": ["RawTable", "read_table", "detect_kind", "EXTENSIONS"],
    "evaltools.data.manifest": ["FileRecord", "Manifest", "StoreError", "file_hash"],
    "evaltools.data.store": ["write_part", "read_part", "write_problem_tables"],
    "evaltools.data.validation": ["validate_table", "canonical_columns"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
