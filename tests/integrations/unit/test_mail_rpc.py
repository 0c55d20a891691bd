"""The mail service's RPC parts with Nameko's worker_factory: what they check before
they touch a server or the database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.integrations.mail.dependencies import MailServerError
from services.integrations.mail.service import MailService
from services.platform.errors import PermissionDenied, ValidationFailed

REP = {
    "id": "01a24e00-0000-7000-8000-000000000001",
    "email": "rep@osprey.test",
    "roles": ["sales_rep"],
}
DATA = {"email": "sales@osprey.test", "imap_host": "imap.osprey.test", "password": "pw"}


class RefusingImap:
    def __init__(self, kind: str):
        self.kind = kind
        self.endpoints = []

    def connect(self, endpoint):
        self.endpoints.append(endpoint)
        raise MailServerError(self.kind, "refused")


def service(imap=None):
    return worker_factory(
        MailService,
        servers=SimpleNamespace(imap=imap or RefusingImap("auth"), smtp=None),
        mail_settings=SimpleNamespace(timeout=5.0),
    )


def test_test_connection_answers_in_words_and_never_echoes_the_password() -> None:
    imap = RefusingImap("unreachable")
    answer = service(imap).test_mailbox_connection(DATA, actor=REP)
    assert answer["ok"] is False and answer["error_kind"] == "unreachable"
    assert "could not be reached" in answer["error"]
    assert "pw" not in repr(imap.endpoints[0])
    assert imap.endpoints[0].port == 993 and imap.endpoints[0].security == "ssl"


def test_a_rep_cannot_connect_a_shared_mailbox_and_nothing_is_tried() -> None:
    worker = service()
    with pytest.raises(PermissionDenied):
        worker.create_mailbox({**DATA, "is_shared": True}, actor=REP)
    worker.secrets.encrypt.assert_not_called()
    worker.db.commit.assert_not_called()


def test_a_refused_login_stores_nothing() -> None:
    worker = service(RefusingImap("auth"))
    with pytest.raises(ValidationFailed) as caught:
        worker.create_mailbox(DATA, actor=REP)
    assert caught.value.errors == [{"field": "password", "message": caught.value.message}]
    worker.db.execute.assert_not_called()
    worker.db.commit.assert_not_called()


def test_send_checks_its_fields_before_loading_anything() -> None:
    worker = service()
    with pytest.raises(ValidationFailed) as caught:
        worker.send_email({"mailbox_id": "x", "bcc": ["a@b.test"]}, actor=REP)
    assert caught.value.errors == [{"field": "bcc", "message": "unknown field"}]
    worker.db.execute.assert_not_called()
