"""Files to import, made by other programs than Osprey, as users' files are.

LibreOffice (``soffice --headless --convert-to``, Debian's package: ``make office``)
saves a workbook as xlsx, xls and ods from a CSV; openpyxl writes an xlsx as Python
programs do; CSVs are written in Windows-1251, KOI8-R and UTF-8 with a BOM, with
semicolons, tabs and commas. The bad files: no spreadsheet at all, protected by a
password (LibreOffice's "save with password" through UNO for xls and ods,
msoffcrypto-tool's ECMA-376 encryption for xlsx, as Excel does), a zip bomb, a sheet
16,384 columns wide.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
from msoffcrypto.format.ooxml import OOXMLFile

HERE = Path(__file__).resolve().parent
PASSWORD = "Secret-2026"

#: The people every good file holds: name, company, email, phone, a date written as
#: a Russian or an American user writes it, and a number with a decimal comma.
HEADER = ["ФИО", "Компания", "E-mail", "Телефон", "Дата"]
PEOPLE = [
    ["Иван Петров", "Ромашка", "ivan.petrov@romashka.test", "+7 900 111 22 33", "31.12.2026"],
    ["Анна Смирнова", "Ромашка", "anna@romashka.test", "+7 900 444 55 66", "01.02.2027"],
    ["Ёлка Грин", "Ёлки-Палки", "elka@elki.test", "8 (812) 123-45-67", "15.03.2027"],
]


class OfficeMissing(RuntimeError):
    """LibreOffice is not installed (``make office``)."""


def write_csv(path: Path, rows: list[list[str]], encoding: str, delimiter: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def libreoffice(source: Path, extension: str, outdir: Path) -> Path:
    """``source`` converted by LibreOffice to ``extension`` (xlsx, xls, ods)."""
    if shutil.which("soffice") is None:
        raise OfficeMissing("soffice is not installed: make office")
    filters = {
        "xlsx": "xlsx:Calc MS Excel 2007 XML",
        "xls": "xls:MS Excel 97",
        "ods": "ods:calc8",
    }
    # a CSV read as UTF-8 (76), comma-separated, in a Russian locale (1049) with special
    # numbers detected: 31.12.2026 becomes a date cell, as when a user opens it
    infilter = ["--infilter=CSV:44,34,76,1,,1049,false,true"] if source.suffix == ".csv" else []
    profile = outdir / "lo-profile"
    subprocess.run(
        [
            "soffice", "--headless", "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            *infilter, "--convert-to", filters[extension], "--outdir", str(outdir), str(source),
        ],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    made = outdir / f"{source.stem}.{extension}"
    if not made.exists():
        raise RuntimeError(f"LibreOffice made no {made.name}")
    return made


def libreoffice_protected(source: Path, target: Path) -> Path:
    """``source`` saved by LibreOffice with :data:`PASSWORD` (xls or ods)."""
    if shutil.which("soffice") is None:
        raise OfficeMissing("soffice is not installed: make office")
    profile = target.parent / "lo-profile-uno"
    subprocess.run(
        ["/usr/bin/python3", str(HERE / "lo_protect.py"), str(source), str(target), PASSWORD,
         str(profile)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return target


def openpyxl_workbook(path: Path) -> Path:
    """The people in an xlsx written by openpyxl, dates as real dates."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Люди"
    sheet.append(HEADER)
    for name, company, email, phone, when in PEOPLE:
        day, month, year = (int(p) for p in when.split("."))
        sheet.append([name, company, email, phone, datetime.date(year, month, day)])
    book.save(path)
    return path


def encrypted_xlsx(plain: Path, target: Path) -> Path:
    with plain.open("rb") as source, target.open("wb") as out:
        OOXMLFile(source).encrypt(PASSWORD, out)
    return target


def zip_bomb(path: Path, unpacked_mb: int = 64) -> Path:
    """An xlsx-shaped archive whose sheet unpacks to ``unpacked_mb`` MB of one byte."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\x20" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(block)
    return path


def too_wide_xlsx(path: Path) -> Path:
    """A sheet with a header in column A and a value in column XFD (the 16,384th)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "Name"
    sheet.cell(row=1, column=16384, value="Last")
    sheet["A2"] = "Ann"
    book.save(path)
    return path


def make_all(outdir: Path) -> dict[str, Path]:
    """Every file the tests import, made in ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    rows = [HEADER, *PEOPLE]
    files: dict[str, Path] = {}
    source = write_csv(outdir / "people.csv", rows, "utf-8", ",")
    for extension in ("xlsx", "xls", "ods"):
        files[f"libreoffice.{extension}"] = libreoffice(source, extension, outdir)
    files["openpyxl.xlsx"] = openpyxl_workbook(outdir / "openpyxl.xlsx")
    files["cp1251.csv"] = write_csv(outdir / "cp1251.csv", rows, "cp1251", ";")
    files["koi8r.csv"] = write_csv(outdir / "koi8r.csv", rows, "koi8-r", "\t")
    files["utf8bom.csv"] = write_csv(outdir / "utf8bom.csv", rows, "utf-8-sig", ",")
    files["utf8.csv"] = source
    files["protected.xls"] = libreoffice_protected(
        files["libreoffice.xlsx"], outdir / "protected.xls"
    )
    files["protected.ods"] = libreoffice_protected(
        files["libreoffice.xlsx"], outdir / "protected.ods"
    )
    files["protected.xlsx"] = encrypted_xlsx(files["openpyxl.xlsx"], outdir / "protected.xlsx")
    files["bomb.xlsx"] = zip_bomb(outdir / "bomb.xlsx")
    files["wide.xlsx"] = too_wide_xlsx(outdir / "wide.xlsx")
    wide_csv = outdir / "wide.csv"
    wide_csv.write_text(",".join(f"c{i}" for i in range(16384)) + "\r\nx\r\n")
    files["wide.csv"] = wide_csv
    picture = outdir / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2048))
    files["picture.png"] = picture
    archive = outdir / "notes.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes.txt", "not a spreadsheet")
    files["notes.zip"] = archive
    return files
