"""Reading an uploaded file: which kind it is, whether it can be read safely, and its
rows one at a time.

xls, ods and small xlsx files are read with python-calamine (formulas are never
evaluated: a cell gives the value the program that saved it cached), an xlsx of
:data:`STREAM_XLSX_BYTES` or more as a stream of its sheet's XML
(:mod:`.xlsx_stream`: the same cells, in flat memory — calamine holds the whole sheet);
CSV is read as a stream with its
encoding (UTF-8 with or without BOM, Windows-1251, KOI8-R) and delimiter (comma,
semicolon, tab) detected from its first 64 KiB. A file that is not one of these, is
protected by a password, unpacks to far more than it weighs (a zip bomb) or is wider
than :data:`.domain.MAX_COLUMNS` is refused with a :class:`BadFile` saying which.
"""

from __future__ import annotations

import codecs
import csv
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import python_calamine

from . import xlsx_stream
from .domain import MAX_COLUMNS

SAMPLE_BYTES = 64 * 1024
#: an xlsx file of at least this many bytes is read streamed, a smaller one by calamine
STREAM_XLSX_BYTES = 1024 * 1024
#: An archive member may unpack to at most this many times its packed size …
MAX_RATIO = 100
#: … and the whole archive to at most this many bytes.
MAX_UNPACKED = 1024 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCODINGS = ("utf-8-sig", "utf-8", "cp1251", "koi8-r")
DELIMITERS = (",", ";", "\t")

# The commonest Russian letters, which a right guess of the code page decodes
# as lowercase letters and a wrong one as capitals or other signs.
_COMMON_RU = set("оеаинтсрвлкмдпу")


class BadFile(Exception):
    """A file that cannot be imported: ``kind`` for the API, ``message`` for people."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class FileInfo:
    format: str  # csv, xlsx, xls, ods
    encoding: str | None = None
    delimiter: str | None = None


def _check_zip(path: str) -> str:
    """``xlsx`` or ``ods`` for a zip that is one and is safe to unpack."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            total = 0
            for member in members:
                total += member.file_size
                packed = max(member.compress_size, 1)
                if member.file_size > 1024 * 1024 and member.file_size / packed > MAX_RATIO:
                    raise BadFile("zip_bomb", "The file unpacks to far more than its size")
            if total > MAX_UNPACKED:
                raise BadFile("zip_bomb", "The file unpacks to far more than its size")
            if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
                if "xl/workbook.bin" in names:
                    raise BadFile("unsupported", "An .xlsb workbook: save it as .xlsx")
                return "xlsx"
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if b"opendocument.spreadsheet" in mimetype:
                    manifest = (
                        archive.read("META-INF/manifest.xml")
                        if ("META-INF/manifest.xml" in names)
                        else b""
                    )
                    if b"encryption-data" in manifest:
                        raise BadFile("password", "The file is protected by a password")
                    return "ods"
    except zipfile.BadZipFile as exc:
        raise BadFile("not_spreadsheet", "The file is damaged or not a spreadsheet") from exc
    raise BadFile("not_spreadsheet", "The file is an archive, not a spreadsheet")


def _decode_sample(sample: bytes, encoding: str) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        # final=False: a character cut at the end of the sample is no error
        return decoder.decode(sample, final=False)
    except UnicodeDecodeError:
        return None


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig``, ``utf-8``, ``cp1251`` or ``koi8-r`` for a CSV's first bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _decode_sample(sample, "utf-8") is not None:
        return "utf-8"
    best, best_score = "cp1251", -1
    for encoding in ("cp1251", "koi8-r"):
        text = _decode_sample(sample, encoding) or ""
        score = sum(1 for ch in text if ch in _COMMON_RU)
        if score > best_score:
            best, best_score = encoding, score
    return best


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the same number of cells (more
    than one), the commonest on the first line when none does."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_width = ",", 1
    for delimiter in DELIMITERS:
        widths = {len(row) for row in csv.reader(lines[:-1] or lines, delimiter=delimiter)}
        if len(widths) == 1:
            width = widths.pop()
            if width > best_width:
                best, best_width = delimiter, width
    if best_width > 1:
        return best
    return max(DELIMITERS, key=lambda d: lines[0].count(d))


def sniff(path: str) -> FileInfo:
    """What the file is. Raises :class:`BadFile`."""
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample:
        raise BadFile("empty", "The file is empty")
    if sample.startswith(ZIP_MAGIC):
        return FileInfo(_check_zip(path))
    if sample.startswith(OLE_MAGIC):
        # An encrypted xlsx or ods is an OLE container with these streams
        names = sample.decode("utf-16-le", errors="ignore")
        if "EncryptionInfo" in names or "EncryptedPackage" in names:
            raise BadFile("password", "The file is protected by a password")
        return FileInfo("xls")
    if b"\x00" in sample:
        raise BadFile("not_spreadsheet", "The file is not a spreadsheet or a CSV")
    encoding = detect_encoding(sample)
    text = _decode_sample(sample, encoding)
    if text is None or _binary_looking(text):
        raise BadFile("not_spreadsheet", "The file is not a spreadsheet or a CSV")
    return FileInfo("csv", encoding, detect_delimiter(text))


def _binary_looking(text: str) -> bool:
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\r\n\t")
    return controls > 8


def rows(path: str, info: FileInfo, stream: bool | None = None) -> Iterator[list[Any]]:
    """Every row of the file's first sheet, the header first, as lists of cells
    (str, int, float, bool, date, datetime or None). ``stream``: read an xlsx streamed
    (True) or by calamine (False) whatever its size. Raises :class:`BadFile`."""
    if info.format == "csv":
        yield from _csv_rows(path, info)
        return
    if stream is None:
        stream = info.format == "xlsx" and os.path.getsize(path) >= STREAM_XLSX_BYTES
    if stream and info.format == "xlsx":
        yield from _streamed_rows(path)
    else:
        yield from _sheet_rows(path)


def _streamed_rows(path: str) -> Iterator[list[Any]]:
    try:
        yield from xlsx_stream.sheet_rows(path, MAX_COLUMNS)
    except xlsx_stream.TooWide as exc:
        raise BadFile("too_wide", f"The file has more than {MAX_COLUMNS} columns") from exc
    except (xlsx_stream.SheetError, zipfile.BadZipFile, KeyError) as exc:
        raise BadFile("not_spreadsheet", "The file is damaged or not a spreadsheet") from exc


def _csv_rows(path: str, info: FileInfo) -> Iterator[list[Any]]:
    with open(path, encoding=info.encoding, newline="", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=info.delimiter or ",")
        try:
            for row in reader:
                if len(row) > MAX_COLUMNS:
                    raise BadFile("too_wide", f"The file has more than {MAX_COLUMNS} columns")
                yield [cell if cell != "" else None for cell in row]
        except csv.Error as exc:
            raise BadFile("not_spreadsheet", f"The CSV cannot be read: {exc}") from exc


def _sheet_rows(path: str) -> Iterator[list[Any]]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(path)
        if not workbook.sheet_names:
            raise BadFile("empty", "The workbook has no sheet")
        sheet = workbook.get_sheet_by_index(0)
    except python_calamine.PasswordError as exc:
        raise BadFile("password", "The file is protected by a password") from exc
    except BadFile:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine's errors are many; each is a bad file
        raise BadFile("not_spreadsheet", "The file is damaged or not a spreadsheet") from exc
    if sheet.width > MAX_COLUMNS:
        raise BadFile("too_wide", f"The file has more than {MAX_COLUMNS} columns")
    for row in sheet.iter_rows():
        cells = list(row)
        while cells and (cells[-1] is None or cells[-1] == ""):
            cells.pop()
        yield [None if c == "" else c for c in cells]


def header_and_preview(path: str, info: FileInfo, count: int) -> tuple[list[str], list[list]]:
    """The header row (as text) and up to ``count`` rows after it (blank rows left
    out). Raises :class:`BadFile` (also for a file without a header)."""
    iterator = rows(path, info)
    header: list[str] | None = None
    preview: list[list[Any]] = []
    for row in iterator:
        if header is None:
            if all(c is None for c in row):
                continue
            header = ["" if c is None else str(c).strip() for c in row]
            continue
        if all(c is None for c in row):
            continue
        preview.append(row)
        if len(preview) >= count:
            break
    iterator.close()
    if not header:
        raise BadFile("empty", "The file has no header row")
    return header, preview
