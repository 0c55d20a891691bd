"""Emails: the list (a record's Emails tab, "needs processing", a mailbox), one message,
linking by hand, sending, and the linking pass. A thin RPC part of MailService."""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from nameko.timer import timer

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound, Unavailable, ValidationFailed, field_error
from services.platform.events import isoformat, utcnow
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import domain, linking, rules_store, sending, store, storing
from .dependencies import MailBase, MailServerError
from .models import attachments, links, locations, messages
from .parsing import parse_message
from .runner import endpoint_of, mailbox_dict

log = logging.getLogger(__name__)
LINK_BATCH = 200


def _no_email() -> NotFound:
    return NotFound("No such email", [{"field": "email_id", "message": "no such email"}])


def dump_email(
    row: Any, view: str, holders: list[dict[str, Any]], links_: list[dict[str, Any]]
) -> dict[str, Any]:
    """An email as ``view`` lets the caller see it: ``all``, or ``headers`` (subject and
    participants, no body)."""
    first = holders[0] if holders else {}
    out = {
        "id": row.id,
        "message_id": row.message_id,
        "thread_key": row.thread_key,
        "subject": row.subject,
        "from": row.from_address,
        "from_name": row.from_name,
        "to": [a["address"] for a in row.to_addresses],
        "cc": [a["address"] for a in row.cc_addresses],
        "sent_at": isoformat(row.sent_at),
        "direction": row.direction,
        "folder": first.get("folder"),
        "mailbox_id": first.get("id"),
        "mailbox_ids": list(dict.fromkeys(h["id"] for h in holders)),
        "links": links_,
        "needs_processing": row.needs_processing,
        "has_attachments": row.has_attachments,
        "problems": list(row.problems or []),
        "view": view,
        "snippet": row.snippet if view == "all" else None,
    }
    return out


class EmailsRpc(MailBase):
    def _visible_page(self, caller: Actor, rows: list[Any]) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        holders = store.email_holders(self.db, ids)
        links_by = store.links_of(self.db, ids)
        out = []
        for row in rows:
            held = holders.get(row.id, [])
            # mail no mailbox holds any more (sent by Osprey, a mailbox removed) is
            # the linked records' history: it follows their rights
            view = domain.view_of(caller, held) if held else "all"
            if view != "none":
                out.append(dump_email(row, view, held, links_by.get(row.id, [])))
        return out

    @rpc(expected_exceptions=EXPECTED)
    def list_emails(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of emails the caller may see, newest first: ``filter`` by
        ``record_type`` + ``record_id`` (a record's Emails tab: the caller must be able
        to read the record, asked of its service), ``needs_processing``, ``mailbox_id``,
        ``thread_key``. Each as :func:`dump_email`; colleagues' mail as its mailbox's
        privacy allows. Raises ``ValidationFailed``, ``NotFound`` (the record)."""
        caller = Actor.from_dict(actor)
        query = query or {}
        filters = query.get("filter") or {}
        limit = int(query.get("limit") or 50)
        if not 1 <= limit <= 500:
            raise field_error("limit", "must be 1..500")

        def one(name: str) -> str | None:
            value = filters.get(name)
            if isinstance(value, list):
                value = value[0] if value else None
            return value

        stmt = sa.select(*store.EMAIL_COLUMNS)
        record_type, record_id = one("record_type"), one("record_id")
        if record_type or record_id:
            if record_type not in domain.RECORD_SERVICES or not is_uuid(record_id):
                raise field_error("filter[record_id]", "give record_type and record_id of a record")
            self._check_record_readable(record_type, record_id, actor)
            stmt = stmt.where(
                messages.c.id.in_(
                    sa.select(links.c.message_id).where(
                        links.c.record_type == record_type, links.c.record_id == record_id
                    )
                )
            )
        else:
            # without a record: mail of the mailboxes the caller sees
            mine = [
                r.id
                for r in store.list_mailbox_rows(
                    self.db, owner_id=caller.id, everyone=caller.is_admin
                )
            ]
            stmt = stmt.where(
                messages.c.id.in_(
                    sa.select(locations.c.message_id).where(locations.c.connection_id.in_(mine))
                )
            )
        if one("needs_processing") is not None:
            stmt = stmt.where(
                messages.c.needs_processing
                == (str(one("needs_processing")).lower() in ("true", "1"))
            )
        if one("mailbox_id"):
            if not is_uuid(one("mailbox_id")):
                raise field_error("filter[mailbox_id]", "is not an id")
            stmt = stmt.where(
                messages.c.id.in_(
                    sa.select(locations.c.message_id).where(
                        locations.c.connection_id == one("mailbox_id")
                    )
                )
            )
        if one("thread_key"):
            stmt = stmt.where(messages.c.thread_key == one("thread_key"))
        cursor = query.get("cursor")
        if cursor:
            # what it holds is checked before PostgreSQL reads it: a cursor that decodes
            # to anything but "<aware time>|<uuid>" was a 500 (the fuzzer's "\U000d895b")
            try:
                sent, _, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
                after = datetime.fromisoformat(sent)
            except (ValueError, UnicodeDecodeError):
                raise field_error("cursor", "is not a cursor of this list") from None
            if after.tzinfo is None or not is_uuid(last_id):
                raise field_error("cursor", "is not a cursor of this list")
            key = sa.tuple_(
                sa.func.coalesce(messages.c.sent_at, messages.c.created_at), messages.c.id
            )
            stmt = stmt.where(key < sa.tuple_(after, last_id))
        order = sa.func.coalesce(messages.c.sent_at, messages.c.created_at)
        rows = store.message_rows(
            self.db, stmt.order_by(order.desc(), messages.c.id.desc()).limit(limit + 1)
        )
        more = len(rows) > limit
        rows = rows[:limit]
        items = self._visible_page(caller, rows)
        next_cursor = None
        if more and rows:
            last = rows[-1]
            when = last.sent_at or last.created_at
            next_cursor = base64.urlsafe_b64encode(
                f"{when.isoformat()}|{last.id}".encode()
            ).decode()
        self.db.rollback()
        return {"items": items, "next_cursor": next_cursor}

    def _check_record_readable(
        self, record_type: str, record_id: str, actor: dict[str, Any]
    ) -> None:
        service = domain.RECORD_SERVICES[record_type]
        proxy = {"sales": self.sales_rpc, "leads": self.leads_rpc, "orders": self.orders_rpc}[
            service
        ]
        getattr(proxy, f"get_{record_type}")(record_id, actor=actor)  # NotFound when not readable

    @rpc(expected_exceptions=EXPECTED)
    def get_email(self, email_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """One email with its body (``body_text``, ``body_html`` — the HTML as it came,
        for the web app to sanitize) and attachments when the caller's view is ``all``.
        ``NotFound`` when the caller sees nothing of it."""
        caller = Actor.from_dict(actor)
        if not is_uuid(email_id):
            raise _no_email()
        row = store.full_message(self.db, email_id)
        if row is None:
            raise _no_email()
        holders = store.email_holders(self.db, [email_id]).get(email_id, [])
        view = domain.view_of(caller, holders) if holders else "all"
        if view == "none":
            raise _no_email()
        out = dump_email(row, view, holders, store.links_of(self.db, [email_id]).get(email_id, []))
        if view == "all":
            out["body_text"] = row.body_text
            out["body_html"] = row.body_html
            out["attachments"] = store.attachments_of(self.db, email_id)
        self.db.rollback()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def get_email_attachment(
        self, email_id: str, attachment_id: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """One attachment's ``{filename, content_type, content_base64}`` for a caller
        whose view of the email is ``all``. ``NotFound`` when the caller may not see the
        body, the attachment is not the email's, or its content was not kept (too large)."""
        email_ = self.get_email(email_id, actor)
        missing = NotFound(
            "No such attachment", [{"field": "attachment_id", "message": "no such attachment"}]
        )
        if email_["view"] != "all" or not is_uuid(attachment_id):
            raise missing
        row = store.attachment_content(self.db, email_id, attachment_id)
        self.db.rollback()
        if row is None or row.content is None:
            raise missing
        return {
            "filename": row.filename or "attachment",
            "content_type": row.content_type,
            "content_base64": base64.b64encode(bytes(row.content)).decode(),
        }

    @rpc(expected_exceptions=EXPECTED)
    def dismiss_email(self, email_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Take an email out of "needs processing" without linking it (mail nobody needs
        on a record: a newsletter, a wrong address). Its links, if any, stay."""
        Actor.from_dict(actor)
        self.get_email(email_id, actor)
        store.mark_linked(self.db, email_id, needs_processing=False)
        self.db.commit()
        return self.get_email(email_id, actor)

    @rpc(expected_exceptions=EXPECTED)
    def link_email(
        self, email_id: str, record_type: str, record_id: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Link an email to a record by hand (it leaves "needs processing"); emits
        ``email_linked``. The caller must see the email and read the record."""
        caller = Actor.from_dict(actor)
        if record_type not in domain.RECORD_SERVICES or not is_uuid(record_id):
            raise field_error("record_id", "give record_type and record_id of a record")
        self.get_email(email_id, actor)
        self._check_record_readable(record_type, record_id, actor)
        new = store.add_links(
            self.db, email_id, [(record_type, record_id, "manual")], created_by=caller.id
        )
        store.mark_linked(self.db, email_id, needs_processing=False)
        if new:
            self._emit_linked(email_id, new, actor)
        self.db.commit()
        return self.get_email(email_id, actor)

    @rpc(expected_exceptions=EXPECTED)
    def unlink_email(
        self, email_id: str, record_type: str, record_id: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Remove one link (emits ``email_unlinked``); an email left with none needs
        processing again."""
        Actor.from_dict(actor)
        self.get_email(email_id, actor)
        removed = store.remove_link(self.db, email_id, record_type, record_id)
        left = store.links_of(self.db, [email_id]).get(email_id, [])
        store.mark_linked(self.db, email_id, needs_processing=not left)
        if removed:
            gone = [{"type": record_type, "id": record_id}]
            self._emit_linked(email_id, gone, actor, event_type="email_unlinked")
        self.db.commit()
        return self.get_email(email_id, actor)

    def _emit_linked(
        self,
        email_id: str,
        new: list[dict[str, Any]],
        actor: dict | None,
        event_type: str = "email_linked",
    ) -> None:
        row = store.full_message(self.db, email_id)
        data = {
            "id": row.id,
            "message_id": row.message_id,
            "thread_key": row.thread_key,
            "subject": row.subject,
            "from": row.from_address,
            "to": [a["address"] for a in row.to_addresses],
            "cc": [a["address"] for a in row.cc_addresses],
            "sent_at": isoformat(row.sent_at),
            "direction": row.direction,
            "links": new,
            "all_links": store.links_of(self.db, [email_id]).get(email_id, []),
            "visibility": self._colleagues_view(email_id),
        }
        self.db.emit(event_type, data, actor=actor)

    def _colleagues_view(self, email_id: str, sender: Any = None) -> str:
        """What colleagues see of the message (``all``, ``headers``, ``none``): events
        carry it, so a consumer (the sales timeline) keeps no more than that."""
        holders = store.email_holders(self.db, [email_id]).get(email_id, [])
        if not holders and sender is not None:
            holders = [
                {
                    "owner_id": sender.owner_id,
                    "is_shared": sender.is_shared,
                    "visibility": (sender.settings or {}).get("visibility") or "headers",
                }
            ]
        return domain.view_of(Actor.system(), holders) if holders else "all"

    # --- the linking pass -------------------------------------------------------------------

    @timer(interval=1)
    def link_pending_emails(self) -> int:
        """Link what the sync stored (every second, in every instance; rows are taken
        with SKIP LOCKED, so instances share them)."""
        return self.link_pending()

    def link_pending(self) -> int:
        rows = store.pending_messages(self.db, LINK_BATCH)
        if not rows:
            self.db.rollback()
            return 0
        self._refresh_directory()
        lookups = linking.Lookups(self.sales_rpc, self.leads_rpc, self.orders_rpc)
        rules = [r for r in rules_store.list_rules(self.db) if r["is_active"]]
        own = self.runner.user_addresses | store.mailbox_addresses(self.db)
        holders = store.email_holders(self.db, [r.id for r in rows])
        # oldest first: a reply then finds the links of the message it answers
        rows.sort(key=lambda r: (r.sent_at is None, r.sent_at or r.created_at, r.id))
        done = 0
        for row in rows:
            shared = any(h["is_shared"] for h in holders.get(row.id, []))
            try:
                with self.db.begin_nested():
                    new = linking.link_message(
                        self.db, row, lookups, rules=rules, own_addresses=own, shared_mailbox=shared
                    )
                    adopted = linking.adopt_thread(self.db, row, new)
            except linking.LookupUnavailable as exc:
                log.info("mail linking paused: %s", exc)
                break
            except Exception:  # noqa: BLE001 - one message's failure never stops the pass
                log.exception("email %s: linking failed; left for a person", row.id)
                store.mark_linked(self.db, row.id, needs_processing=True)
                continue
            for message_id, links_ in [(row.id, new), *adopted]:
                if links_:
                    self._emit_linked(message_id, links_, None)
            done += 1
        self.db.commit()
        return done

    def _refresh_directory(self) -> None:
        """The CRM users' addresses (mail only between them is not stored), asked of
        identity at most once a minute."""
        runner = self.runner
        now = utcnow().timestamp()
        if now - getattr(runner, "directory_at", 0) < 60:
            return
        try:
            found: set[str] = set()
            query: dict[str, Any] = {"limit": 500}
            while True:
                page = self.identity_rpc.list_users(query, actor=linking.SYSTEM)
                found.update(u["email"] for u in page["items"] if u.get("email"))
                if not page.get("next_cursor"):
                    break
                query = {"limit": 500, "cursor": page["next_cursor"]}
            runner.user_addresses = found
            runner.directory_at = now
        except Exception:  # noqa: BLE001 - keep the last list; try again next time
            runner.directory_at = now
            log.warning("mail: could not read the CRM users' addresses", exc_info=True)

    # --- sending --------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def send_email(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Send from one of the caller's mailboxes (or a shared one):
        ``{mailbox_id, to, cc?, subject?, body?, template_id?, related?: {type, id},
        reply_to_id?, attachments?: [{filename, content_type, content_base64}]}``.
        A template fills subject and body, merge fields (``{{contact.first_name}}``,
        ``{{account.name}}``, ``{{user.full_name}}``) from ``related`` and the caller.
        A reply threads (In-Reply-To, References) and keeps the parent's links. Sent
        through SMTP, APPENDed to the Sent folder, stored, linked, ``email_sent``.
        The send is kept before SMTP is tried: a failure answers ``Unavailable`` with
        the reason and the send stays ``failed`` (``retry_send``)."""
        caller = Actor.from_dict(actor)
        if not isinstance(data, dict):
            raise field_error("data", "must be an object")
        unknown = set(data) - {
            "mailbox_id",
            "to",
            "cc",
            "subject",
            "body",
            "template_id",
            "related",
            "reply_to_id",
            "attachments",
        }
        if unknown:
            raise ValidationFailed(
                "unknown fields",
                [{"field": k, "message": "unknown field"} for k in sorted(unknown)],
            )
        row = store.mailbox_row(self.db, data.get("mailbox_id"))
        if not (
            row.owner_id == caller.id or (row.is_shared and caller.is_manager) or caller.is_admin
        ):
            raise store._no_mailbox()
        to = sending.clean_addresses(data.get("to"), "to", required=True)
        cc = sending.clean_addresses(data.get("cc"), "cc", required=False)
        files = sending.clean_attachments(data.get("attachments"))
        related = sending.check_related(data.get("related"))
        parent = None
        if data.get("reply_to_id"):
            parent_row = (
                store.full_message(self.db, data["reply_to_id"])
                if is_uuid(data["reply_to_id"])
                else None
            )
            if parent_row is None:
                raise field_error("reply_to_id", "no such email")
            parent = {
                "message_id": parent_row.message_id,
                "references": list(parent_row.references or []),
                "subject": parent_row.subject,
                "id": parent_row.id,
            }
        subject, body = data.get("subject"), data.get("body")
        if data.get("template_id"):
            template = (
                rules_store.template_row(self.db, data["template_id"])
                if is_uuid(data["template_id"])
                else None
            )
            if template is None:
                raise field_error("template_id", "no such template")
            subject = subject if subject is not None else template.subject
            body = body if body is not None else template.body
        if subject is None and parent is not None:
            subject = sending.reply_subject(parent["subject"])
        context = self._merge_context(related, actor)
        subject = domain.merge_fields(subject or "", context)
        body = domain.merge_fields(body or "", context)
        settings = dict(row.settings)
        raw, message_id = sending.build_message(
            sender=settings["email"],
            sender_name=None if row.is_shared else caller.full_name or None,
            to=to,
            cc=cc,
            subject=subject,
            body=body,
            attachments=files,
            replying_to=parent,
        )
        link_list = [related] if related else []
        if parent is not None:
            link_list += [
                {"type": link["type"], "id": link["id"]}
                for link in store.links_of(self.db, [parent["id"]]).get(parent["id"], [])
            ]
        send_id = store.insert_send(
            self.db,
            {
                "connection_id": row.id,
                "state": "pending",
                "mime": raw,
                "recipients": to + cc,
                "links": link_list,
                "created_by": caller.id,
            },
        )
        self.db.commit()
        return self._deliver(send_id, actor)

    @rpc(expected_exceptions=EXPECTED)
    def retry_send(self, send_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Send a failed send's same message again. ``NotFound``, ``Unavailable``."""
        caller = Actor.from_dict(actor)
        send = store.send_row(self.db, send_id) if is_uuid(send_id) else None
        if send is None or (send.created_by != caller.id and not caller.is_admin):
            raise NotFound("No such send", [{"field": "send_id", "message": "no such send"}])
        if send.state == "sent":
            return self.get_email(send.message_id, actor)
        return self._deliver(send_id, actor)

    def _deliver(self, send_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        send = store.send_row(self.db, send_id)
        row = store.mailbox_row(self.db, send.connection_id)
        mailbox = mailbox_dict(row)
        password = self.secrets.decrypt(row.secret)
        raw = bytes(send.mime)
        self.db.rollback()
        try:
            self.servers.smtp.send(
                endpoint_of(mailbox, password, self.mail_settings.timeout, smtp=True),
                mailbox["settings"]["email"],
                list(send.recipients),
                raw,
            )
        except MailServerError as exc:
            words = domain.failure_words(exc.kind, exc.detail)
            store.update_send(
                self.db, send_id, state="failed", error=words, attempts=send.attempts + 1
            )
            self.db.commit()
            raise Unavailable(
                f"The message was not sent: {words} It is kept (send {send_id}); try again.",
                [{"field": "smtp", "message": words}, {"field": "send_id", "message": send_id}],
            ) from None
        parsed = parse_message(raw, keep_attachment_bytes=self.mail_settings.keep_attachment_bytes)
        sent_folder = mailbox["settings"].get("sent_folder")
        appended = False
        if sent_folder:
            try:
                imap = self.servers.imap.connect(
                    endpoint_of(mailbox, password, self.mail_settings.timeout)
                )
                try:
                    imap.append(sent_folder, raw)
                    appended = True
                finally:
                    imap.logout()
            except MailServerError as exc:
                # sent is sent: the copy in Sent is a convenience, noted in the log
                log.warning(
                    "mailbox %s: the sent message was not saved to %s: %s",
                    row.id,
                    sent_folder,
                    exc.kind,
                )
        existing = storing.known_keys(self.db, [parsed.key])
        if parsed.key in existing:
            email_id = existing[parsed.key]
        else:
            message = storing.message_row(
                parsed,
                direction="outgoing",
                now=utcnow(),
                mailbox_id=row.id,
                user_id=send.created_by or actor.get("id"),
                team_id=actor.get("team_id"),
            )
            self.db.execute(messages.insert().values(**message))
            if parsed.attachments:
                from services.platform.ids import new_id

                self.db.execute(
                    attachments.insert(),
                    [
                        {
                            "id": new_id(),
                            "message_id": message["id"],
                            "position": i,
                            "filename": a.filename,
                            "content_type": a.content_type,
                            "size": a.size,
                            "content": a.content,
                        }
                        for i, a in enumerate(parsed.attachments)
                    ],
                )
            email_id = message["id"]
        new = store.add_links(
            self.db,
            email_id,
            [(link["type"], link["id"], "sent_from") for link in send.links],
            created_by=send.created_by,
        )
        # recipients' records are found by the linking pass, like synced mail
        store.update_send(
            self.db,
            send_id,
            state="sent",
            error=None,
            attempts=send.attempts + 1,
            message_id=email_id,
            sent_at=utcnow(),
        )
        row_now = store.full_message(self.db, email_id)
        self.db.emit(
            "email_sent",
            {
                **storing.summary(row_now._asdict(), mailbox_id=row.id, folder=sent_folder),
                "links": [{"type": link["type"], "id": link["id"]} for link in send.links],
                "saved_to_sent": appended,
                "send_id": send_id,
                "visibility": self._colleagues_view(email_id, row),
                # whom the message counts for (analytics): whoever sent it
                "user_id": send.created_by or actor.get("id"),
                "team_id": actor.get("team_id"),
            },
            actor=actor,
        )
        if new:
            self._emit_linked(email_id, new, actor)
        self.db.commit()
        out = self.get_email(email_id, actor)
        out["send_id"] = send_id
        out["saved_to_sent"] = appended
        return out

    def _merge_context(
        self, related: dict[str, str] | None, actor: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        context: dict[str, dict[str, Any]] = {
            "user": {"full_name": actor.get("full_name"), "email": actor.get("email")}
        }
        if related is None:
            return context
        try:
            if related["type"] == "contact":
                contact = self.sales_rpc.get_contact(related["id"], actor=actor)
                context["contact"] = domain.contact_fields(contact)
                if contact.get("account_id"):
                    context["account"] = self.sales_rpc.get_account(
                        contact["account_id"], actor=actor
                    )
            elif related["type"] == "account":
                context["account"] = self.sales_rpc.get_account(related["id"], actor=actor)
            elif related["type"] == "lead":
                lead = self.leads_rpc.get_lead(related["id"], actor=actor)
                context["lead"] = lead
                context["contact"] = domain.contact_fields(
                    {
                        "full_name": lead.get("contact_name"),
                        "emails": [{"email": lead.get("email")}] if lead.get("email") else [],
                    }
                )
        except NotFound:
            raise field_error("related", "no such record, or you may not read it") from None
        return context
