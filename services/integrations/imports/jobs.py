"""Import jobs: upload, mapping, preview, start, progress, error report and rollback —
a part of the imports service.

An import is made in steps the web app's wizard follows: ``create_import`` (the
entity and file name), ``append_import_data`` (the file in pieces, as the gateway
streams it), ``finish_import_upload`` (the file is read: its kind, header and a
suggested mapping; a bad file is refused and the job forgotten), ``update_import``
(the user's mapping and duplicate options), ``preview_import``, ``start_import``
(queued for the runner, :mod:`.runner`), ``get_import`` for progress,
``import_error_report`` and ``rollback_import``.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from typing import Any

import xlsxwriter

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, ValidationFailed
from services.platform.events import utcnow
from services.platform.fields import failed
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import domain, reading, store
from .dependencies import ImportsBase

PREVIEW_ROWS = 10


def bad_file(error: reading.BadFile) -> ValidationFailed:
    return ValidationFailed(error.message, [{"field": "file", "message": error.message,
                                             "code": error.kind}])  # fmt: skip


class JobsRpc(ImportsBase):
    """The import jobs' entrypoints."""

    @rpc(expected_exceptions=EXPECTED)
    def create_import(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """A new import of ``{entity, file_name}`` waiting for its file.

        Raises ``ValidationFailed`` for an unknown entity or a missing name."""
        caller = Actor.from_dict(actor)
        data = data if isinstance(data, dict) else {}
        entity = data.get("entity")
        if entity not in domain.ENTITIES:
            raise failed("entity", "one of " + ", ".join(domain.ENTITIES))
        name = str(data.get("file_name") or "").strip()[:300] or "import"
        row = store.insert_job(
            self.db,
            {
                "id": new_id(),
                "kind": "import",
                "entity": entity,
                "status": "uploading",
                "file_name": name,
                "actor": actor,
                "owner_id": caller.id,
                "created_at": utcnow(),
                "options": domain.check_options(entity, {}),
            },
        )
        self.db.commit()
        return store.dump_job(row)

    @rpc(expected_exceptions=EXPECTED)
    def append_import_data(self, job_id: str, data: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Add the next piece (base64) of the file. Raises ``ValidationFailed`` when the
        file grows over ``OSPREY_IMPORT_MAX_BYTES`` (the job is then forgotten),
        ``Conflict`` once the upload is finished, ``NotFound``."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller, for_update=True)
        if job.status != "uploading":
            raise Conflict("The file is already uploaded")
        piece = base64.b64decode(data)
        size = job.size + len(piece)
        if size > self.settings.max_bytes:
            store.jobs_delete(self.db, job_id)
            self.db.commit()
            raise ValidationFailed(
                "The file is too large",
                [
                    {
                        "field": "file",
                        "message": f"larger than {self.settings.max_bytes} bytes",
                        "code": "too_large",
                    }
                ],  # fmt: skip
            )
        store.add_piece(self.db, job_id, "upload", store.next_seq(self.db, job_id, "upload"), piece)
        store.update_job(self.db, job_id, size=size)
        self.db.commit()
        return {"size": size}

    @rpc(expected_exceptions=EXPECTED)
    def finish_import_upload(self, job_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Read the uploaded file: its kind, encoding and delimiter, its header, a
        mapping of its columns to fields by their names. A file that cannot be
        imported is refused with ``ValidationFailed`` (``errors[0].code``: ``empty``,
        ``not_spreadsheet``, ``password``, ``zip_bomb``, ``too_wide``,
        ``unsupported``) and the job is forgotten: nothing is left of it."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller, for_update=True)
        if job.status != "uploading":
            raise Conflict("The file is already uploaded")
        path = store.write_temp_file(self.db, job_id, "upload")
        try:
            info = reading.sniff(path)
            header, _ = reading.header_and_preview(path, info, 1)
        except reading.BadFile as error:
            store.jobs_delete(self.db, job_id)
            self.db.commit()
            raise bad_file(error) from error
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        store.update_job(
            self.db,
            job_id,
            status="ready",
            format=info.format,
            encoding=info.encoding,
            delimiter=info.delimiter,
            columns=header,
            mapping=domain.suggest_mapping(job.entity, header),
        )
        self.db.commit()
        return store.dump_job(store.load_job(self.db, job_id))

    @rpc(expected_exceptions=EXPECTED)
    def delete_import(self, job_id: str, actor: dict[str, Any]) -> None:
        """Forget an import that is not running, with its file and rows (the records it
        wrote stay). Raises ``Conflict`` while it runs or rolls back, ``NotFound``."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller, for_update=True)
        if job.status in ("queued", "running", "rollback_queued", "rolling_back"):
            raise Conflict("The import is running; wait for it to finish")
        store.jobs_delete(self.db, job_id)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def get_import(self, job_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The job with its progress ``{total, done, failed}``. Raises ``NotFound``."""
        return store.dump_job(store.load_job(self.db, job_id, Actor.from_dict(actor)))

    @rpc(expected_exceptions=EXPECTED)
    def list_imports(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """The caller's imports (an admin's: everyone's), newest first."""
        return self._list("import", query, actor)

    def _list(self, kind: str, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict:
        caller = Actor.from_dict(actor)
        query = query or {}
        limit = max(1, min(200, int(query.get("limit") or 50)))
        rows = store.list_jobs(self.db, caller, kind, limit + 1, query.get("cursor") or None)
        self.db.commit()
        items = [store.dump_job(r) for r in rows[:limit]]
        return {"items": items, "next_cursor": items[-1]["id"] if len(rows) > limit else None}

    @rpc(expected_exceptions=EXPECTED)
    def update_import(
        self, job_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Change the ``mapping`` (a field or null per column) and ``options``
        (``match_on``, ``on_duplicate`` ∈ skip, update, create; ``create_accounts``)
        before the start. Raises ``ValidationFailed``, ``Conflict`` (started)."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller, for_update=True)
        if job.status != "ready":
            raise Conflict("The import has started; its mapping cannot change")
        data = data if isinstance(data, dict) else {}
        values: dict[str, Any] = {}
        if "mapping" in data:
            mapping = data["mapping"]
            if not isinstance(mapping, list) or len(mapping) != len(job.columns):
                raise failed("mapping", f"give one field or null per column ({len(job.columns)})")
            known = domain.fields_of(job.entity)
            bad = [m for m in mapping if m not in (None, "") and m not in known]
            if bad:
                raise failed("mapping", f"{bad[0]!r} is not a field of {job.entity}")
            values["mapping"] = [m or None for m in mapping]
        if "options" in data:
            try:
                values["options"] = domain.check_options(job.entity, data["options"])
            except ValueError as error:
                raise failed("options", str(error)) from error
        if values:
            store.update_job(self.db, job_id, **values)
        self.db.commit()
        return store.dump_job(store.load_job(self.db, job_id))

    @rpc(expected_exceptions=EXPECTED)
    def preview_import(
        self, job_id: str, actor: dict[str, Any], limit: int = PREVIEW_ROWS
    ) -> dict[str, Any]:
        """The first rows as the mapping reads them: ``{columns, mapping, rows: [{row,
        cells: [{value, field, error}]}]}`` (``error`` None for a good cell)."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller)
        if job.status == "uploading":
            raise Conflict("The file is not uploaded yet")
        path = store.write_temp_file(self.db, job_id, "upload")
        self.db.commit()
        try:
            info = reading.FileInfo(job.format, job.encoding, job.delimiter)
            _, rows = reading.header_and_preview(path, info, max(1, min(int(limit), 50)))
        except reading.BadFile as error:
            raise bad_file(error) from error
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        known = domain.fields_of(job.entity)
        preview = []
        for number, cells in enumerate(rows, start=1):
            shown = []
            for index in range(len(job.columns)):
                value = cells[index] if index < len(cells) else None
                name = job.mapping[index] if index < len(job.mapping) else None
                error = None
                if name:
                    try:
                        domain.convert_cell(known[name], value)
                    except domain.CellError as exc:
                        error = str(exc)
                shown.append({"value": _json_cell(value), "field": name, "error": error})
            preview.append({"row": number, "cells": shown})
        return {"columns": job.columns, "mapping": job.mapping, "rows": preview}

    @rpc(expected_exceptions=EXPECTED)
    def start_import(self, job_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Queue the import for the runner. Raises ``ValidationFailed`` (the mapping
        misses a required field or gives one field twice), ``Conflict`` (started)."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller, for_update=True)
        if job.status != "ready":
            raise Conflict("The import has already started")
        try:
            domain.check_mapping(job.entity, job.mapping, len(job.columns))
        except ValueError as error:
            raise failed("mapping", str(error)) from error
        store.update_job(self.db, job_id, status="queued", actor=actor)
        self.db.emit("import_started", store.dump_job(store.load_job(self.db, job_id)), actor)
        self.db.commit()
        return store.dump_job(store.load_job(self.db, job_id))

    @rpc(expected_exceptions=EXPECTED)
    def rollback_import(self, job_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Queue the undoing of a finished import: what it created is deleted, what it
        updated written back. Raises ``Conflict`` (not finished, or rolled back)."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller, for_update=True)
        if job.status not in ("done", "failed"):
            raise Conflict("Only a finished import can be rolled back")
        store.update_job(self.db, job_id, status="rollback_queued", actor=actor)
        self.db.commit()
        return store.dump_job(store.load_job(self.db, job_id))

    @rpc(expected_exceptions=EXPECTED)
    def import_error_report(self, job_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The refused rows as an xlsx workbook (base64 ``content``): each row's cells
        as they were, a column of reasons, and each bad cell's reason as its comment."""
        caller = Actor.from_dict(actor)
        job = store.load_job(self.db, job_id, caller)
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
            sheet = workbook.add_worksheet("Errors")
            bad = workbook.add_format({"bg_color": "#FFC7CE"})
            bold = workbook.add_format({"bold": True})
            sheet.write_row(0, 0, ["Row", *job.columns, "Reasons"], bold)
            line = 1
            for entry in store.failed_rows(self.db, job_id):
                by_column = {}
                for error in entry.errors or []:
                    if error.get("column") is not None:
                        by_column[int(error["column"])] = error["message"]
                    elif error.get("field") in (job.mapping or []):
                        by_column[job.mapping.index(error["field"])] = error["message"]
                sheet.write(line, 0, entry.row_no + 1)
                for index, cell in enumerate(entry.cells or []):
                    style = bad if index in by_column else None
                    sheet.write(line, index + 1, cell, style)
                    if index in by_column:
                        sheet.write_comment(line, index + 1, by_column[index])
                reasons = "; ".join(
                    f"{e.get('field') or 'row'}: {e.get('message')}" for e in entry.errors or []
                )
                sheet.write(line, len(job.columns) + 1, reasons)
                line += 1
            workbook.close()
            self.db.commit()
            with open(path, "rb") as handle_in:
                content = base64.b64encode(handle_in.read()).decode("ascii")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        stem = job.file_name.rsplit(".", 1)[0]
        return {"name": f"{stem} - errors.xlsx", "content": content}


def _json_cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
