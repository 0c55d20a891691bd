"""Which CRM-side cursors a change of an Exchange connection's settings starts over."""

from __future__ import annotations

from services.integrations.exchange import domain

BASE = dict(domain.DEFAULTS)


def test_another_choice_of_contacts_sends_them_again() -> None:
    assert domain.cursors_to_restart(BASE, dict(BASE)) == []
    chosen = {**BASE, "export_contacts": "chosen", "export_contact_ids": ["c1"]}
    assert domain.cursors_to_restart(BASE, chosen) == ["crm:contacts"]
    more = {**chosen, "export_contact_ids": ["c1", "c2"]}
    assert domain.cursors_to_restart(chosen, more) == ["crm:contacts"]
    elsewhere = {**BASE, "contact_folders": ["Clients"]}
    assert domain.cursors_to_restart(BASE, elsewhere) == ["crm:contacts"]
    # folders imported from beside the first (the one contacts go to) change nothing here
    extra = {**BASE, "contact_folders": ["contacts", "Clients"]}
    assert domain.cursors_to_restart(BASE, extra) == []


def test_the_calendar_or_tasks_turned_on_send_them_again_and_off_does_not() -> None:
    off = {**BASE, "sync_calendar": False, "sync_tasks": False}
    assert domain.cursors_to_restart(off, BASE) == ["crm:meetings", "crm:tasks"]
    assert domain.cursors_to_restart(BASE, off) == []
