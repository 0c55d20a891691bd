"""Occurrences of recurring meetings in the local EWS peer (tests/integrations/ews_peer.py),
as the EWS reference describes them:

- An occurrence of a series is named by ``<t:OccurrenceItemId RecurringMasterId=""
  ChangeKey="" InstanceIndex="n"/>`` (1-based, counted over the series' pattern from its
  first occurrence, deleted ones included). ``GetItem`` by it answers the occurrence as a
  ``CalendarItem`` of ``CalendarItemType`` ``Occurrence`` (or ``Exception`` once changed)
  with an ``ItemId`` of its own and its ``OriginalStart``; an index past the series' end
  is ``ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange``, a deleted occurrence
  ``ErrorCalendarOccurrenceIsDeletedFromRecurrence`` (reference pages ``OccurrenceItemId``
  and ``ResponseCode``).
- ``UpdateItem`` of an occurrence (by that ``ItemId`` or by ``OccurrenceItemId``) makes it
  an exception: the master lists it in ``ModifiedOccurrences`` (``Occurrence``: ``ItemId``,
  ``Start``, ``End``, ``OriginalStart``) and changes, so ``SyncFolderItems`` reports the
  master as updated; the exception is no item of the folder's own.
- ``DeleteItem`` of an occurrence lists its original start in the master's
  ``DeletedOccurrences``.

Patterns expanded: daily, weekly (days of the week), absolute monthly; ranges: end date,
numbered, no end (the first 1,000). Occurrences keep their wall-clock time in the
series' ``StartTimeZone`` (its Windows id, else its standard bias)."""

from __future__ import annotations

import base64
import calendar
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from lxml import etree

from .ews_peer import Item, T, _element, q

if TYPE_CHECKING:
    from .ews_peer import EwsPeer

#: the Windows time zones the tests use, by id (CLDR's windowsZones mapping)
WINDOWS_ZONES = {
    "UTC": "UTC",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "GMT Standard Time": "Europe/London",
    "Russian Standard Time": "Europe/Moscow",
    "Eastern Standard Time": "America/New_York",
    "Pacific Standard Time": "America/Los_Angeles",
}
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NO_END_LIMIT = 1000
#: what an occurrence does not carry of its master
MASTER_ONLY = (
    "Recurrence",
    "FirstOccurrence",
    "LastOccurrence",
    "ModifiedOccurrences",
    "DeletedOccurrences",
)


class OccurrenceError(Exception):
    """An occurrence EWS cannot hand out: ``code`` is the response code."""

    def __init__(self, code: str, text: str):
        super().__init__(text)
        self.code = code
        self.text = text


def _text(element: etree._Element | None, name: str) -> str | None:
    if element is None:
        return None
    found = element.find(q(T, name))
    return found.text if found is not None else None


def _utc_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def zone_of(master: Item) -> tzinfo:
    element = master.props.get("StartTimeZone")
    if element is None:
        return UTC
    name = WINDOWS_ZONES.get(element.get("Id") or "")
    if name:
        return ZoneInfo(name)
    bias = element.get("BaseOffset") or ""
    period = element.find(f".//{q(T, 'Period')}")
    if period is not None and period.get("Bias"):
        bias = period.get("Bias") or ""
    # an xs:duration such as -PT1H: the bias is what UTC is ahead of local time
    sign = -1 if bias.startswith("-") else 1
    body = bias.lstrip("-").removeprefix("PT")
    hours = int(body.split("H")[0]) if "H" in body else 0
    minutes = int(body.split("H")[-1].rstrip("M") or 0) if "M" in body else 0
    return timezone(-sign * timedelta(hours=hours, minutes=minutes))


def original_starts(master: Item) -> list[str]:
    """The series' occurrences' original starts in UTC, by instance index - 1."""
    recurrence = master.props.get("Recurrence")
    start_text = master.props["Start"].text if "Start" in master.props else None
    if recurrence is None or not start_text:
        return []
    zone = zone_of(master)
    first = _parse(start_text).astimezone(zone)
    pattern, span = recurrence[0], recurrence[1]
    kind = etree.QName(pattern).localname
    interval = int(_text(pattern, "Interval") or 1)
    begin = date.fromisoformat((_text(span, "StartDate") or first.date().isoformat())[:10])
    end_text = _text(span, "EndDate")
    end = date.fromisoformat(end_text[:10]) if end_text else None
    count = int(_text(span, "NumberOfOccurrences") or 0) or None
    limit = count or NO_END_LIMIT

    def days() -> list[date]:
        found: list[date] = []
        if kind == "DailyRecurrence":
            day = begin
            while len(found) < limit and (end is None or day <= end):
                found.append(day)
                day += timedelta(days=interval)
        elif kind == "WeeklyRecurrence":
            names = (_text(pattern, "DaysOfWeek") or DAYS[begin.weekday()]).split()
            wanted = sorted(DAYS.index(n) for n in names if n in DAYS)
            week = begin - timedelta(days=begin.weekday())
            while len(found) < limit:
                for offset in wanted:
                    day = week + timedelta(days=offset)
                    if day < begin:
                        continue
                    if (end is not None and day > end) or len(found) >= limit:
                        return found
                    found.append(day)
                week += timedelta(weeks=interval)
        elif kind == "AbsoluteMonthlyRecurrence":
            day_of_month = int(_text(pattern, "DayOfMonth") or begin.day)
            year, month = begin.year, begin.month
            while len(found) < limit:
                day = date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))
                if end is not None and day > end:
                    break
                if day >= begin:
                    found.append(day)
                month += interval
                year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
        else:
            found.append(begin)
        return found

    wall = first.timetz().replace(tzinfo=None)
    return [_utc_text(datetime.combine(d, wall).replace(tzinfo=zone)) for d in days()]


def occurrence_id(master: Item, index: int) -> str:
    """The ItemId EWS gives the ``index``-th occurrence of ``master`` (opaque)."""
    return base64.b64encode(f"O|{master.id}|{index}".encode()).decode()


def _parse_occurrence_id(item_id: str) -> tuple[str, int] | None:
    try:
        kind, master_id, index = base64.b64decode(item_id).decode().split("|")
    except ValueError:
        return None
    return (master_id, int(index)) if kind == "O" else None


def _modified(master: Item) -> list[etree._Element]:
    element = master.props.get("ModifiedOccurrences")
    return [] if element is None else list(element)


def _deleted(master: Item) -> set[str]:
    element = master.props.get("DeletedOccurrences")
    if element is None:
        return set()
    return {_utc_text(_parse(d.findtext(q(T, "Start")) or "")) for d in element}


def resolve(peer: EwsPeer, ref: etree._Element) -> tuple[Item, int, str] | None:
    """``(master, instance index, original start)`` of an occurrence named by an
    ``OccurrenceItemId`` or by an occurrence's or exception's ``ItemId``; None when the
    reference names no occurrence. Raises :class:`OccurrenceError` as EWS answers."""
    box = peer.mailbox
    if etree.QName(ref).localname == "OccurrenceItemId":
        master = box.items.get(ref.get("RecurringMasterId") or "")
        if master is None:
            raise OccurrenceError(
                "ErrorItemNotFound", "The specified object was not found in the store."
            )
        index = int(ref.get("InstanceIndex") or 0)
    else:
        item_id = ref.get("Id") or ""
        parsed = _parse_occurrence_id(item_id)
        if parsed is None:
            # an exception made some other way: its master lists it
            for master in box.items.values():
                for entry in _modified(master):
                    if entry.find(q(T, "ItemId")).get("Id") == item_id:
                        original = _utc_text(_parse(entry.findtext(q(T, "OriginalStart"))))
                        starts = original_starts(master)
                        index = starts.index(original) + 1 if original in starts else 0
                        return master, index, original
            return None
        master = box.items.get(parsed[0])
        if master is None:
            raise OccurrenceError(
                "ErrorItemNotFound", "The specified object was not found in the store."
            )
        index = parsed[1]
    starts = original_starts(master)
    if not starts:
        raise OccurrenceError(
            "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
            "The item is not the master of a recurring series.",
        )
    if not 1 <= index <= len(starts):
        raise OccurrenceError(
            "ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange",
            "The occurrence index is out of the recurrence range.",
        )
    original = starts[index - 1]
    if original in _deleted(master):
        raise OccurrenceError(
            "ErrorCalendarOccurrenceIsDeletedFromRecurrence",
            "Occurrence with this index was previously deleted from the recurrence.",
        )
    return master, index, original


def exception_of(peer: EwsPeer, master: Item, original: str) -> Item | None:
    for entry in _modified(master):
        if _utc_text(_parse(entry.findtext(q(T, "OriginalStart")) or "")) == original:
            return peer.occurrences.get(entry.find(q(T, "ItemId")).get("Id"))
    return None


def occurrence(peer: EwsPeer, master: Item, index: int, original: str) -> Item:
    """The occurrence as GetItem answers it: the exception when it was changed, else
    the master's properties at the occurrence's time."""
    found = exception_of(peer, master, original)
    if found is not None:
        return found
    begin = _parse(original)
    length = _parse(master.props["End"].text) - _parse(master.props["Start"].text)
    props = {k: v for k, v in master.props.items() if k not in MASTER_ONLY}
    props["Start"] = _element("Start", _utc_text(begin))
    props["End"] = _element("End", _utc_text(begin + length))
    props["OriginalStart"] = _element("OriginalStart", original)
    props["CalendarItemType"] = _element("CalendarItemType", "Occurrence")
    return Item(
        occurrence_id(master, index), master.change_key, master.folder_id, master.tag, props
    )


def make_exception(peer: EwsPeer, master: Item, index: int, original: str) -> Item:
    """The occurrence's exception, made now if it was not one yet (its master lists it)."""
    found = exception_of(peer, master, original)
    if found is not None:
        return found
    item = occurrence(peer, master, index, original)
    item.props["CalendarItemType"] = _element("CalendarItemType", "Exception")
    peer.occurrences[item.id] = item
    return item


def record_exception(peer: EwsPeer, master: Item, exception: Item, original: str) -> None:
    """List the exception in its master's ModifiedOccurrences (its times now) and change
    the master, as Exchange does when an occurrence is changed."""
    listed = etree.Element(q(T, "ModifiedOccurrences"), nsmap={"t": T})
    for entry in _modified(master):
        if entry.find(q(T, "ItemId")).get("Id") != exception.id:
            listed.append(entry)
    entry = etree.SubElement(listed, q(T, "Occurrence"))
    etree.SubElement(entry, q(T, "ItemId"), Id=exception.id, ChangeKey=exception.change_key)
    for name in ("Start", "End"):
        etree.SubElement(entry, q(T, name)).text = exception.props[name].text
    etree.SubElement(entry, q(T, "OriginalStart")).text = original
    peer.mailbox.put(
        peer.mailbox.folders[master.folder_id], {"ModifiedOccurrences": listed}, item_id=master.id
    )


def delete_occurrence(peer: EwsPeer, master: Item, original: str) -> None:
    """Cancel one occurrence: its original start joins the master's DeletedOccurrences
    (and an exception of it goes from ModifiedOccurrences)."""
    gone = exception_of(peer, master, original)
    props: dict[str, etree._Element] = {}
    if gone is not None:
        peer.occurrences.pop(gone.id, None)
        kept = etree.Element(q(T, "ModifiedOccurrences"), nsmap={"t": T})
        for entry in _modified(master):
            if entry.find(q(T, "ItemId")).get("Id") != gone.id:
                kept.append(entry)
        props["ModifiedOccurrences"] = kept
    deleted = etree.Element(q(T, "DeletedOccurrences"), nsmap={"t": T})
    for entry in master.props.get("DeletedOccurrences", []):
        deleted.append(etree.fromstring(etree.tostring(entry)))
    etree.SubElement(
        etree.SubElement(deleted, q(T, "DeletedOccurrence")), q(T, "Start")
    ).text = original
    props["DeletedOccurrences"] = deleted
    with peer.mailbox.lock:
        if gone is not None and not len(props["ModifiedOccurrences"]):
            master.props.pop("ModifiedOccurrences", None)
            del props["ModifiedOccurrences"]
        peer.mailbox.put(peer.mailbox.folders[master.folder_id], props, item_id=master.id)


def edit_exception(peer: EwsPeer, item_id: str, props: dict[str, str]) -> None:
    """Outlook changes an occurrence that is already an exception (by its item id)."""
    with peer.mailbox.lock:
        exception = peer.occurrences[item_id]
        for name, value in props.items():
            exception.props[name] = _element(name, value)
        exception.change_key = f"CK{int(exception.change_key[2:]) + 1}"
        exception.props["LastModifiedTime"] = _element(
            "LastModifiedTime", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        for master in peer.mailbox.items.values():
            for entry in _modified(master):
                if entry.find(q(T, "ItemId")).get("Id") == item_id:
                    original = _utc_text(_parse(entry.findtext(q(T, "OriginalStart")) or ""))
                    record_exception(peer, master, exception, original)
                    return
