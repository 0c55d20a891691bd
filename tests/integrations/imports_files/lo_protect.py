"""Save a spreadsheet with a password through LibreOffice's own API (UNO), as a user
does with File → Save As → "Save with password".

Run by Debian's python3 (python3-uno), not the project's venv:

    python3 lo_protect.py SOURCE TARGET.xlsx|TARGET.ods PASSWORD PROFILE_DIR
"""

import contextlib
import os
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue

FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".ods": "calc8", ".xls": "MS Excel 97"}


def prop(name, value):
    item = PropertyValue()
    item.Name = name
    item.Value = value
    return item


def main():
    source, target, password, profile = sys.argv[1:5]
    pipe = f"osprey_protect_{os.getpid()}"
    office = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "-env:UserInstallation=" + uno.systemPathToFileUrl(os.path.abspath(profile)),
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        context = None
        for _ in range(120):
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                time.sleep(0.25)
        if context is None:
            raise SystemExit("LibreOffice did not start")
        desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        document = desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(source)), "_blank", 0, (prop("Hidden", True),)
        )
        extension = os.path.splitext(target)[1]
        secret = prop("Password", password)
        if extension == ".xlsx":
            # OOXML is encrypted from EncryptionData, as the Save As dialog passes it
            named = uno.createUnoStruct("com.sun.star.beans.NamedValue")
            named.Name = "OOXPassword"
            named.Value = password
            secret = prop("EncryptionData", (named,))
        uno.invoke(
            document,
            "storeToURL",
            (
                uno.systemPathToFileUrl(os.path.abspath(target)),
                (prop("FilterName", FILTERS[extension]), secret),
            ),
        )
        document.close(True)
        with contextlib.suppress(Exception):
            desktop.terminate()
    finally:
        try:
            office.wait(timeout=20)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main()
