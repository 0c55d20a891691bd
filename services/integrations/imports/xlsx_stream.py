"""Reading a large .xlsx a row at a time, in flat memory.

python-calamine loads a whole sheet before its first row (a million rows of five
columns: 527 MB, bench/README.md); this reads the sheet's XML as a stream instead —
``zipfile`` and expat's callbacks over ``xl/sharedStrings.xml`` and the
first worksheet, each row dropped once given — and gives the cells python-calamine
gives: a formula's cached value (never evaluated), text, numbers as float, booleans,
errors (``#N/A``, ``#DIV/0!``) as empty cells, and numbers whose cell style's number
format is a
date or time (the built-in ones, or a custom format with d, m, y, h or s outside quotes
and brackets) as ``time`` (below one day), ``date`` (midnight), ``datetime`` or, for
``[h]:mm``-like durations, ``timedelta`` — from the workbook's 1900 or 1904 date
system, to the millisecond.

The shared strings (every distinct text of the workbook) are what must be held: up to
:data:`STRINGS_IN_MEMORY` bytes of them as Python strings, past that their UTF-8 bytes
in a temporary file read back by offset (8 bytes of memory a string). Rows start at the
sheet's dimension's top-left cell, as calamine's start at its first used cell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import posixpath
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from typing import IO, Any
from xml.etree.ElementTree import Element, iterparse
from xml.parsers import expat

#: shared strings of at most this many unpacked bytes are kept as Python strings
STRINGS_IN_MEMORY = 16 * 1024 * 1024
#: bytes of XML parsed at a time
CHUNK = 64 * 1024

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
#: the built-in number formats that are dates or times (ECMA-376 18.8.30, and the
#: East Asian ones calamine also counts); 46 is ``[h]:mm:ss``, a duration
_BUILTIN_DATES = frozenset([*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)])
_BUILTIN_DURATIONS = frozenset([46])
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


class SheetError(Exception):
    """The workbook's parts cannot be read as a workbook."""


class TooWide(Exception):
    """The sheet has more columns than the caller takes."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _unescape(text: str) -> str:
    """``_x000D_`` and the like, as the format escapes characters XML cannot hold."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _column(ref: str) -> int:
    """``"AB12"`` → 28 (1-based)."""
    number = 0
    for char in ref:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            number = number * 26 + ord(char) - 96
        else:
            break
    return number


def _top_left(ref: str) -> tuple[int, int]:
    """The (row, column) of a range's first cell: ``"B3:E9"`` → (3, 2)."""
    first = ref.split(":", 1)[0]
    letters = first.rstrip("0123456789")
    digits = first[len(letters) :]
    return (int(digits) if digits else 1), max(1, _column(letters.replace("$", "")))


def format_kind(code: str) -> str | None:
    """``"datetime"``, ``"timedelta"`` or None for a custom number format's code."""
    duration = date = False
    i, size = 0, len(code)
    while i < size:
        char = code[i]
        if char == "\\" or char in "_*":
            i += 2
            continue
        if char == '"':
            end = code.find('"', i + 1)
            i = size if end < 0 else end + 1
            continue
        if char == "[":
            end = code.find("]", i + 1)
            inside = code[i + 1 : size if end < 0 else end].lower()
            if inside and set(inside) <= {"h"} | {"m"} | {"s"} and len(set(inside)) == 1:
                duration = True
            i = size if end < 0 else end + 1
            continue
        if char.lower() in "dmyhs":
            date = True
        elif char == ";":
            break  # the first section (positive numbers) says what the cell is
        i += 1
    if duration:
        return "timedelta"
    return "datetime" if date else None


class _Strings:
    """The shared strings by index: a list, or past :data:`STRINGS_IN_MEMORY` their
    UTF-8 bytes in a temporary file and an array of offsets."""

    def __init__(self) -> None:
        self.items: list[str] | None = []
        self.offsets = array("q", [0])
        self.file: IO[bytes] | None = None
        self.size = 0

    def add(self, text: str) -> None:
        if self.items is not None:
            self.items.append(text)
            self.size += len(text)
            if self.size > STRINGS_IN_MEMORY:
                self._spill()
            return
        assert self.file is not None
        data = text.encode("utf-8")
        self.file.write(data)
        self.offsets.append(self.offsets[-1] + len(data))

    def _spill(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        for text in self.items or []:
            data = text.encode("utf-8")
            self.file.write(data)
            self.offsets.append(self.offsets[-1] + len(data))
        self.items = None

    def done(self) -> None:
        if self.file is not None:
            self.file.flush()

    def get(self, index: int) -> str:
        if self.items is not None:
            return self.items[index]
        assert self.file is not None
        start, end = self.offsets[index], self.offsets[index + 1]
        return os.pread(self.file.fileno(), end - start, start).decode("utf-8")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class _Workbook:
    """Where the first sheet, the shared strings and the styles are, and what each
    cell style's number format is."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        names = set(archive.namelist())
        rels = self._relationships("xl/_rels/workbook.xml.rels", names)
        workbook = self._parse("xl/workbook.xml")
        self.date1904 = False
        self.sheet = "xl/worksheets/sheet1.xml"
        for element in workbook.iter():
            name = _local(element.tag)
            if name == "workbookPr":
                self.date1904 = element.get("date1904", "0").lower() in ("1", "true")
            elif name == "sheet":
                target = rels.get(element.get(f"{{{_REL_NS}}}id") or "")
                if target is not None:
                    self.sheet = target[0]
                break
        if self.sheet not in names:
            raise SheetError("the workbook has no sheet")
        by_type = {kind: path for path, kind in rels.values()}
        self.strings_path = by_type.get("sharedStrings", "xl/sharedStrings.xml")
        self.styles_path = by_type.get("styles", "xl/styles.xml")
        self.kinds = self._style_kinds() if self.styles_path in names else []

    def _parse(self, path: str) -> Element:
        with self.archive.open(path) as handle:
            return _whole(handle)

    def _relationships(self, path: str, names: set[str]) -> dict[str, tuple[str, str]]:
        """``{id: (member path, type's last word)}``."""
        if path not in names:
            return {}
        out = {}
        for element in self._parse(path).iter():
            if _local(element.tag) == "Relationship":
                target = element.get("Target") or ""
                if target.startswith("/"):
                    member = target.lstrip("/")
                else:
                    member = posixpath.normpath(posixpath.join("xl", target))
                kind = (element.get("Type") or "").rsplit("/", 1)[-1]
                out[element.get("Id") or ""] = (member, kind)
        return out

    def _style_kinds(self) -> list[str | None]:
        """Per cell style (``s``), what its number format makes of a number."""
        styles = self._parse(self.styles_path)
        custom: dict[int, str | None] = {}
        kinds: list[str | None] = []
        for element in styles:
            name = _local(element.tag)
            if name == "numFmts":
                for fmt in element:
                    with contextlib.suppress(TypeError, ValueError):
                        custom[int(fmt.get("numFmtId"))] = format_kind(fmt.get("formatCode") or "")
            elif name == "cellXfs":
                for xf in element:
                    try:
                        number_format = int(xf.get("numFmtId") or 0)
                    except ValueError:
                        number_format = 0
                    if number_format in custom:
                        kinds.append(custom[number_format])
                    elif number_format in _BUILTIN_DATES:
                        kinds.append("datetime")
                    elif number_format in _BUILTIN_DURATIONS:
                        kinds.append("timedelta")
                    else:
                        kinds.append(None)
        return kinds

    def strings(self) -> _Strings:
        strings = _Strings()
        if self.strings_path not in set(self.archive.namelist()):
            return strings
        parts: list[str] = []
        state = {"text": False, "phonetic": 0}

        def start(name: str, attrs: dict[str, str]) -> None:
            name = name.rpartition(":")[2]
            if name == "t" and not state["phonetic"]:
                state["text"] = True
            elif name == "si":
                parts.clear()
            elif name == "rPh":
                state["phonetic"] += 1

        def end(name: str) -> None:
            name = name.rpartition(":")[2]
            if name == "t":
                state["text"] = False
            elif name == "si":
                strings.add(_unescape("".join(parts)))
            elif name == "rPh":
                state["phonetic"] -= 1

        def text(data: str) -> None:
            if state["text"]:
                parts.append(data)

        parser = _parser(start, end, text)
        with self.archive.open(self.strings_path) as handle:
            while chunk := handle.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        strings.done()
        return strings


def _parser(start: Any, end: Any, text: Any) -> Any:
    """An expat parser calling back per element (no tree is built: flat memory, and
    several times faster than ``iterparse``)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    return parser


def _whole(handle: IO[bytes]) -> Element:
    root = None
    for _event, element in iterparse(handle, events=("end",)):
        root = element
    if root is None:
        raise SheetError("an empty part")
    return root


def _when(number: float, date1904: bool) -> dt.date | dt.datetime | dt.time:
    """A serial as calamine gives it: a time below 1 (no day), a date at midnight, else
    a datetime — to the millisecond."""
    if 0 <= number < 1:
        moment = dt.datetime.min + dt.timedelta(milliseconds=round(number * 86_400_000))
        return moment.time() if moment.day == 1 else dt.time()
    if date1904:
        moment = _EPOCH_1904 + dt.timedelta(milliseconds=round(number * 86_400_000))
    else:
        # the serials before 1900-03-01 count Excel's 29 February 1900, which never was
        days = number if number >= 60 else number + 1
        moment = _EPOCH_1900 + dt.timedelta(milliseconds=round(days * 86_400_000))
    if moment.hour == moment.minute == moment.second == moment.microsecond == 0:
        return moment.date()
    return moment


class _Cells:
    """Turns one ``c`` element into the value python-calamine gives."""

    def __init__(self, strings: _Strings, kinds: list[str | None], date1904: bool):
        self.strings = strings
        self.kinds = kinds
        self.date1904 = date1904

    def value(self, kind: str, style: str | None, raw: str | None, inline: str | None) -> Any:
        """A cell of type ``kind`` (its ``t``), style ``s``, value ``v`` (``raw``) and
        inline string's text."""
        if kind == "inlineStr":
            return inline
        if raw is None:
            return None
        if kind == "s":
            try:
                return self.strings.get(int(raw))
            except (ValueError, IndexError):
                return None
        if kind == "e":  # #DIV/0!, #N/A...: empty, as calamine gives them
            return None
        if kind == "str":
            return _unescape(raw)
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":  # an ISO 8601 date the cell holds as such
            with contextlib.suppress(ValueError):
                moment = dt.datetime.fromisoformat(raw.strip().replace("Z", ""))
                return moment.date() if moment.time() == dt.time() else moment
            return raw
        try:
            number = float(raw)
        except ValueError:
            return raw
        if style and self.kinds:
            try:
                shown = self.kinds[int(style)]
            except (ValueError, IndexError):
                shown = None
            if shown == "datetime":
                with contextlib.suppress(OverflowError, ValueError):
                    return _when(number, self.date1904)
            elif shown == "timedelta":
                return dt.timedelta(milliseconds=round(number * 86_400_000))
        return number


def sheet_rows(path: str, max_columns: int) -> Iterator[list[Any]]:
    """The first sheet's rows, each as the list of its cells up to its last non-empty
    one (a row with none is ``[]``; rows missing from the XML are given as ``[]`` too,
    so positions hold). Raises :class:`SheetError` for a workbook whose parts are
    missing or are not XML (or say what is not a number), :class:`TooWide` past
    ``max_columns``."""
    with zipfile.ZipFile(path) as archive:
        try:
            workbook = _Workbook(archive)
            strings = workbook.strings()
        except (KeyError, SyntaxError) as exc:  # a part missing, or not XML
            raise SheetError(str(exc)) from exc
        try:
            cells = _Cells(strings, workbook.kinds, workbook.date1904)
            yield from _rows(archive, workbook.sheet, cells, max_columns)
        finally:
            strings.close()


class _SheetReader:
    """The sheet's rows as expat reports its elements: each row's cells gathered, the
    row handed over (``rows``) at its end."""

    def __init__(self, cells: _Cells, max_columns: int):
        self.cells = cells
        self.max_columns = max_columns
        self.first_row, self.first_column = 1, 1
        self.next_row: int | None = None
        self.rows: list[list[Any]] = []
        self.values: list[Any] = []
        self.number = 0
        self.column = 0
        self.cell: tuple[str, str | None] = ("n", None)
        self.raw: str | None = None
        self.inline: list[str] | None = None
        self.buffer: list[str] | None = None
        self.phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = name.rpartition(":")[2]
        if name == "c":
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            if self.column > self.max_columns:
                raise TooWide(f"more than {self.max_columns} columns")
            self.cell = (attrs.get("t", "n"), attrs.get("s"))
            self.raw = self.inline = None
        elif name == "v" or (name == "t" and self.inline is not None and not self.phonetic):
            self.buffer = []
        elif name == "is":
            self.inline = []
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            self.number = int(attrs.get("r") or (self.next_row or self.first_row))
            if self.next_row is None:
                self.next_row = min(self.first_row, self.number)
            while self.next_row < self.number:  # rows the XML left out
                if self.next_row >= self.first_row:
                    self.rows.append([])
                self.next_row += 1
            self.next_row = self.number + 1
            self.values = []
            self.column = self.first_column - 1
        elif name == "dimension" and attrs.get("ref"):
            ref = attrs["ref"]
            self.first_row, self.first_column = _top_left(ref)
            if _column(ref.split(":")[-1].lstrip("$")) > self.max_columns:
                raise TooWide(f"more than {self.max_columns} columns")

    def end(self, name: str) -> None:
        name = name.rpartition(":")[2]
        if name == "v":
            self.raw = "".join(self.buffer or ())
            self.buffer = None
        elif name == "t":
            if self.buffer is not None and self.inline is not None:
                self.inline.append("".join(self.buffer))
            self.buffer = None
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c":
            if self.column < self.first_column:
                return
            inline = _unescape("".join(self.inline)) if self.inline is not None else None
            value = self.cells.value(self.cell[0], self.cell[1], self.raw, inline)
            if value is None or value == "":
                return
            at = self.column - self.first_column
            values = self.values
            if at >= len(values):
                values.extend([None] * (at - len(values) + 1))
            values[at] = value
        elif name == "row" and self.number >= self.first_row:
            self.rows.append(self.values)

    def text(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)


def _rows(
    archive: zipfile.ZipFile, sheet: str, cells: _Cells, max_columns: int
) -> Iterator[list[Any]]:
    reader = _SheetReader(cells, max_columns)
    parser = _parser(reader.start, reader.end, reader.text)
    try:
        with archive.open(sheet) as handle:
            while True:
                chunk = handle.read(CHUNK)
                parser.Parse(chunk, not chunk)
                rows, reader.rows = reader.rows, []
                yield from rows  # a chunk's rows given, then dropped: memory stays flat
                if not chunk:
                    break
    except (expat.ExpatError, ValueError) as exc:  # not XML, or a number that is none
        raise SheetError(str(exc)) from exc
