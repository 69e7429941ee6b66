"""kohi: read オンライン資格確認 (onshi) result files and map their 公費 to レセコン fields.

``kohi.parse`` takes ``bytes`` (UTF-8 or Shift_JIS, detected), ``str`` (already decoded text) or
an ``os.PathLike``; ``kohi.parse_file`` takes a path. Errors are ``kohi.KohiError`` subclasses
with a stable ``.code``; their messages say where, never patient data.
"""

from ._kohi import (
    AliasTableError,
    Code,
    EncodingError,
    FileReadError,
    ForbiddenXmlError,
    Header,
    InputTooLargeError,
    Kohi,
    KohiError,
    MalformedXmlError,
    NumberCheck,
    Patient,
    Qualification,
    Result,
    StoredRecordError,
    UnexpectedRootError,
    UnknownElement,
    Warning,
    WatchEvent,
    Watcher,
    __version__,
    check_number,
    parse,
    parse_file,
    reconcile,
    watch,
)

__all__ = [
    "AliasTableError",
    "Code",
    "EncodingError",
    "FileReadError",
    "ForbiddenXmlError",
    "Header",
    "InputTooLargeError",
    "Kohi",
    "KohiError",
    "MalformedXmlError",
    "NumberCheck",
    "Patient",
    "Qualification",
    "Result",
    "StoredRecordError",
    "UnexpectedRootError",
    "UnknownElement",
    "Warning",
    "WatchEvent",
    "Watcher",
    "__version__",
    "check_number",
    "parse",
    "parse_file",
    "reconcile",
    "watch",
]
