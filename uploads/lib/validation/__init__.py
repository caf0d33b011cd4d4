"""PMH record validation engine: framework-free, streaming, masking (record-layout.md)."""

from .engine import Options, validate_file
from .layout import Layout, load_layout
from .report import Issue, Report, summary_text, write_report_json, write_result_csv
from .store import InMemoryStore, RecordStore
from .tally import AcceptedRecord, fingerprint

__all__ = [
    "AcceptedRecord",
    "InMemoryStore",
    "Issue",
    "Layout",
    "Options",
    "RecordStore",
    "Report",
    "fingerprint",
    "load_layout",
    "summary_text",
    "validate_file",
    "write_report_json",
    "write_result_csv",
]
