"""Wave files to a pseudonymised store: reading files, validating rows, pseudonyms, ingesting,
the store and its manifest, and the panel (scored scales per respondent and wave).

May import from core, instruments and study.
"""

from evaltools.data.ingest import FileOutcome, IngestResult, check_data, discover_files, ingest
from evaltools.data.panel import (
    ATTRITION_COLUMNS,
    FLOW_COLUMNS,
    NothingIngestedError,
    attrition,
    load_panel,
    load_responses,
    participant_flow,
)
from evaltools.data.pseudonym import (
    StudyKey,
    StudyKeyError,
    create_key,
    default_key_file,
    key_env_name,
    load_key,
    normalise_id,
    pseudonymise,
)
from evaltools.data.readers import EXTENSIONS, RawTable, detect_kind, read_table
from evaltools.data.store import (
    FileRecord,
    Manifest,
    StoreError,
    file_hash,
    read_part,
    write_part,
    write_problem_tables,
)
from evaltools.data.validation import canonical_columns, validate_table

__all__ = [
    "RawTable",
    "read_table",
    "detect_kind",
    "EXTENSIONS",
    "validate_table",
    "canonical_columns",
    "StudyKeyError",
    "StudyKey",
    "load_key",
    "create_key",
    "pseudonymise",
    "key_env_name",
    "default_key_file",
    "normalise_id",
    "FileRecord",
    "Manifest",
    "StoreError",
    "file_hash",
    "write_part",
    "read_part",
    "write_problem_tables",
    "ingest",
    "check_data",
    "discover_files",
    "FileOutcome",
    "IngestResult",
    "load_responses",
    "load_panel",
    "participant_flow",
    "attrition",
    "FLOW_COLUMNS",
    "ATTRITION_COLUMNS",
    "NothingIngestedError",
]
