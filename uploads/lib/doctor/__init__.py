"""The layout doctor: a municipality's own export (CSV or .xlsx) profiled, mapped to PMH's
layout, converted row by row and explained (issue 24). Framework-free, like the engine: the
console's pages, models and channels build on these functions."""

from .convert import convert
from .mapping import (
    SCHEMA,
    MappingError,
    check_mapping,
    mapping_from_json,
    mapping_to_json,
    new_mapping,
    targets,
)
from .profile import Candidate, ColumnReport, FieldProposal, Profile, profile_file
from .sources import SourceError
from .spec import SpecRow, specification, write_specification_csv, write_specification_xlsx
from .summary import Applied, ConversionSummary, Problem

__all__ = [
    "SCHEMA",
    "Applied",
    "Candidate",
    "ColumnReport",
    "ConversionSummary",
    "FieldProposal",
    "MappingError",
    "Problem",
    "Profile",
    "SourceError",
    "SpecRow",
    "check_mapping",
    "convert",
    "mapping_from_json",
    "mapping_to_json",
    "new_mapping",
    "profile_file",
    "specification",
    "targets",
    "write_specification_csv",
    "write_specification_xlsx",
]
