"""The xlsx readers of the imports service alone (issue 16 point 4): rows per second and
peak memory of python-calamine (which loads the whole sheet) and of the streamed reader
(services/integrations/imports/xlsx_stream.py), each in a fresh process, on the same
workbook of ``--rows`` leads as bench/imports.py writes them (XlsxWriter: a name, a
company, a unique email, a phone, a source).

    .venv/bin/python bench/xlsx_reader.py [--rows 200000] [--keep FILE]

Each reader reads every row (``reading.rows``) in a child process, which reports the
time and its peak resident memory (``VmHWM``: ``ru_maxrss`` would keep the parent's
peak across ``exec``); the parent only writes the file. Also checks that both readers
gave the same rows (a digest of them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def child(path: str, stream: bool) -> None:
    from services.integrations.imports import reading

    started = time.perf_counter()
    digest = hashlib.sha256()
    count = 0
    info = reading.FileInfo("xlsx")
    for row in reading.rows(path, info, stream=stream):
        digest.update(repr(row).encode())
        count += 1
    seconds = time.perf_counter() - started
    with open("/proc/self/status") as status:
        hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(json.dumps({
        "reader": "streamed" if stream else "calamine", "rows": count,
        "seconds": round(seconds, 2), "rows_per_s": round(count / seconds),
        "peak_rss_mb": round(hwm / 1024),  # VmHWM: ru_maxrss keeps the parent's across exec
        "digest": digest.hexdigest()[:16],
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, default=None, help="write the workbook here")
    parser.add_argument("--file", type=Path, default=None, help="read this workbook instead")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--stream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.stream)
        return
    from bench.imports import make_rows, write_file

    folder = Path(tempfile.mkdtemp(prefix="osprey-xlsx-"))
    path = args.file or args.keep or folder / "leads.xlsx"
    started = time.perf_counter()
    if args.file is None:
        write_file(make_rows(args.rows), path)
    print(json.dumps({"rows": args.rows, "file_mb": round(path.stat().st_size / 2**20, 1),
                      "written_s": round(time.perf_counter() - started, 1),
                      "load": os.getloadavg()[0]}))  # fmt: skip
    results = []
    for stream in (True, False):
        command = [sys.executable, __file__, "--child", str(path)] + (
            ["--stream"] if stream else []
        )
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(out.strip().splitlines()[-1])
    print(json.dumps({"same_rows": results[0]["digest"] == results[1]["digest"],
                      "load": os.getloadavg()[0]}))  # fmt: skip
    if args.keep is None and args.file is None:
        path.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
