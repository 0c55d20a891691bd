"""The EWS operations of the local peer (tests/integrations/ews_peer.py): each takes the
request's operation element and returns ``(http_status, response bytes)``, shaped as the
EWS reference's response examples (envelope, ServerVersionInfo header, one
``<Operation>ResponseMessage`` per requested item with ResponseClass and ResponseCode)."""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING

from lxml import etree

from . import ews_peer_occurrences as occurrences
from .ews_peer import ORDER, A, E, Folder, Item, M, S, T, _element, now_text, q

if TYPE_CHECKING:
    from .ews_peer import EwsPeer

XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSA = "http://www.w3.org/2005/08/addressing"

#: an indexed field's URI → the collection element holding its entries
INDEXED = {
    "contacts:EmailAddress": "EmailAddresses",
    "contacts:PhoneNumber": "PhoneNumbers",
    "contacts:PhysicalAddress": "PhysicalAddresses",
    "contacts:ImAddress": "ImAddresses",
}


def _envelope(body: etree._Element) -> bytes:
    envelope = etree.Element(q(S, "Envelope"), nsmap={"s": S})
    header = etree.SubElement(envelope, q(S, "Header"))
    etree.SubElement(
        header,
        q(T, "ServerVersionInfo"),
        MajorVersion="15",
        MinorVersion="1",
        MajorBuildNumber="2507",
        MinorBuildNumber="6",
        Version="V2017_07_11",
        nsmap={"h": T},
    )
    etree.SubElement(envelope, q(S, "Body")).append(body)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def _response(operation: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element(q(M, f"{operation}Response"), nsmap={"m": M, "t": T})
    return root, etree.SubElement(root, q(M, "ResponseMessages"))


def _message(
    messages: etree._Element, operation: str, code: str = "NoError", text: str = ""
) -> etree._Element:
    cls = "Success" if code == "NoError" else "Error"
    message = etree.SubElement(messages, q(M, f"{operation}ResponseMessage"), ResponseClass=cls)
    if code != "NoError":
        etree.SubElement(message, q(M, "MessageText")).text = text or code
    etree.SubElement(message, q(M, "ResponseCode")).text = code
    if code != "NoError":
        etree.SubElement(message, q(M, "DescriptiveLinkKey")).text = "0"
    return message


def server_busy(back_off_ms: int) -> bytes:
    """The SOAP fault of a throttled request (EWS throttling reference)."""
    envelope = etree.Element(q(S, "Envelope"), nsmap={"s": S})
    body = etree.SubElement(envelope, q(S, "Body"))
    fault = etree.SubElement(body, q(S, "Fault"))
    etree.SubElement(fault, "faultcode").text = "a:ErrorServerBusy"
    etree.SubElement(
        fault, "faultstring"
    ).text = "The server cannot service this request right now. Try again later."
    detail = etree.SubElement(fault, "detail")
    etree.SubElement(detail, q(E, "ResponseCode"), nsmap={"e": E}).text = "ErrorServerBusy"
    etree.SubElement(
        detail, q(E, "Message")
    ).text = "The server cannot service this request right now. Try again later."
    xml = etree.SubElement(detail, q(T, "MessageXml"), nsmap={"t": T})
    etree.SubElement(xml, q(T, "Value"), Name="BackOffMilliseconds").text = str(back_off_ms)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


# -- folders --------------------------------------------------------------------------


def _find_folder(peer: EwsPeer, ref: etree._Element) -> Folder | None:
    box = peer.mailbox
    if etree.QName(ref).localname == "DistinguishedFolderId":
        wanted = ref.get("Id")
        return next((f for f in box.folders.values() if f.distinguished == wanted), None)
    return box.folders.get(ref.get("Id"))


def _folder_element(peer: EwsPeer, folder: Folder) -> etree._Element:
    element = etree.Element(q(T, folder.element))
    etree.SubElement(element, q(T, "FolderId"), Id=folder.id, ChangeKey="AQAAABYAAAA=")
    if folder.parent_id:
        etree.SubElement(element, q(T, "ParentFolderId"), Id=folder.parent_id, ChangeKey="AQ==")
    if folder.folder_class:
        etree.SubElement(element, q(T, "FolderClass")).text = folder.folder_class
    etree.SubElement(element, q(T, "DisplayName")).text = folder.name
    etree.SubElement(element, q(T, "TotalCount")).text = str(len(peer.mailbox.items_in(folder)))
    children = sum(1 for f in peer.mailbox.folders.values() if f.parent_id == folder.id)
    etree.SubElement(element, q(T, "ChildFolderCount")).text = str(children)
    if folder.element == "Folder":
        etree.SubElement(element, q(T, "UnreadCount")).text = "0"
    return element


def get_folder(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("GetFolder")
    for ref in op.find(q(M, "FolderIds")):
        folder = _find_folder(peer, ref)
        if folder is None:
            _message(
                messages,
                "GetFolder",
                "ErrorFolderNotFound",
                "The specified folder could not be found in the store.",
            )
            continue
        message = _message(messages, "GetFolder")
        etree.SubElement(message, q(M, "Folders")).append(_folder_element(peer, folder))
    return _envelope(root)


def find_folder(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("FindFolder")
    deep = op.get("Traversal") == "Deep"
    for ref in op.find(q(M, "ParentFolderIds")):
        parent = _find_folder(peer, ref)
        if parent is None:
            _message(messages, "FindFolder", "ErrorFolderNotFound")
            continue
        found: list[Folder] = []
        frontier = [parent.id]
        while frontier:
            current = frontier.pop(0)
            children = [f for f in peer.mailbox.folders.values() if f.parent_id == current]
            found.extend(children)
            if deep:
                frontier.extend(f.id for f in children)
        message = _message(messages, "FindFolder")
        view = etree.SubElement(
            message,
            q(M, "RootFolder"),
            TotalItemsInView=str(len(found)),
            IncludesLastItemInRange="true",
        )
        folders = etree.SubElement(view, q(T, "Folders"))
        for folder in found:
            folders.append(_folder_element(peer, folder))
    return _envelope(root)


# -- items ----------------------------------------------------------------------------


def _wanted(shape: etree._Element | None) -> set[str] | None:
    """The properties an ItemShape asks for by local name; None = all of them."""
    if shape is None:
        return None
    base = shape.findtext(q(T, "BaseShape"))
    extra = shape.find(q(T, "AdditionalProperties"))
    names: set[str] = set()
    if extra is not None:
        for uri in extra:
            path = uri.get("FieldURI") or ""
            if etree.QName(uri).localname == "IndexedFieldURI":
                names.add(INDEXED.get(path, path.rpartition(":")[2]))
            else:
                names.add(path.rpartition(":")[2])
    if base == "AllProperties":
        return None if not names else names | {"*"}
    return names


def _item_element(item: Item, wanted: set[str] | None) -> etree._Element:
    element = etree.Element(q(T, item.tag))
    everything = wanted is None or "*" in wanted
    if item.mime is not None and wanted is not None and "MimeContent" in wanted:
        mime = etree.SubElement(element, q(T, "MimeContent"), CharacterSet="UTF-8")
        mime.text = base64.b64encode(item.mime).decode()
    etree.SubElement(element, q(T, "ItemId"), Id=item.id, ChangeKey=item.change_key)
    order = ORDER[item.tag].split()
    names = sorted(item.props, key=lambda n: order.index(n) if n in order else len(order))
    for name in names:
        if name in ("ItemId", "MimeContent"):
            continue
        if everything or name in wanted:
            element.append(_copy(item.props[name]))
    body = item.props.get("Body")
    if body is not None and "TextBody" not in item.props and (everything or "TextBody" in wanted):
        # TextBody (Exchange 2013 on): the body as plain text, last in the schema's order
        text = "".join(body.itertext())
        if body.get("BodyType") == "HTML":
            text = "".join(etree.fromstring(f"<div>{text}</div>", etree.HTMLParser()).itertext())
        etree.SubElement(element, q(T, "TextBody"), BodyType="Text").text = text
    return element


def _copy(element: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(element))


def _state(folder: Folder, position: int) -> str:
    return base64.b64encode(f"{folder.id}|{position}".encode()).decode()


def sync_folder_items(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("SyncFolderItems")
    folder = _find_folder(peer, op.find(q(M, "SyncFolderId"))[0])
    if folder is None:
        failed = _message(messages, "SyncFolderItems", "ErrorFolderNotFound")
        etree.SubElement(failed, q(M, "SyncState"))
        etree.SubElement(failed, q(M, "IncludesLastItemInRange")).text = "true"
        return _envelope(root)
    state_text = op.findtext(q(M, "SyncState"))
    position = 0
    if state_text:
        try:
            folder_id, _, pos = base64.b64decode(state_text).decode().partition("|")
            position = int(pos)
            if folder_id != folder.id:
                raise ValueError
        except ValueError:
            failed = _message(
                messages,
                "SyncFolderItems",
                "ErrorInvalidSyncStateData",
                "Synchronization state data is corrupt or otherwise invalid.",
            )
            # as Exchange answers it: an empty state, and nothing further in range
            etree.SubElement(failed, q(M, "SyncState"))
            etree.SubElement(failed, q(M, "IncludesLastItemInRange")).text = "true"
            return _envelope(root)
    limit = int(op.findtext(q(M, "MaxChangesReturned")) or 100)
    wanted = _wanted(op.find(q(M, "ItemShape")))
    with peer.mailbox.lock:
        changes: dict[str, str] = {}
        last = position
        pending = [entry for entry in folder.log if entry[0] > position]
        consumed = 0
        for pos, kind, item_id in pending:
            if item_id not in changes and len(changes) >= limit:
                break
            before = changes.get(item_id)
            if before == "create" and kind == "update":
                kind = "create"
            elif before == "create" and kind == "delete":
                kind = "gone"
            changes[item_id] = kind
            last = pos
            consumed += 1
        done = consumed == len(pending)
        message = _message(messages, "SyncFolderItems")
        etree.SubElement(message, q(M, "SyncState")).text = _state(folder, last)
        etree.SubElement(message, q(M, "IncludesLastItemInRange")).text = str(done).lower()
        out = etree.SubElement(message, q(M, "Changes"))
        for item_id, kind in changes.items():
            if kind == "gone":
                continue
            if kind == "delete":
                change = etree.SubElement(out, q(T, "Delete"))
                etree.SubElement(change, q(T, "ItemId"), Id=item_id, ChangeKey="AAAA")
                continue
            item = peer.mailbox.items.get(item_id)
            if item is None:
                continue  # deleted further on in the log: that delete comes next
            change = etree.SubElement(out, q(T, "Create" if kind == "create" else "Update"))
            change.append(_item_element(item, wanted))
    return _envelope(root)


def get_item(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("GetItem")
    wanted = _wanted(op.find(q(M, "ItemShape")))
    for ref in op.find(q(M, "ItemIds")):
        item = peer.mailbox.items.get(ref.get("Id")) or peer.occurrences.get(ref.get("Id"))
        if item is None:
            try:
                found = occurrences.resolve(peer, ref)
            except occurrences.OccurrenceError as refused:
                _message(messages, "GetItem", refused.code, refused.text)
                continue
            if found is not None:
                item = occurrences.occurrence(peer, *found)
        if item is None:
            _message(
                messages,
                "GetItem",
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            )
            continue
        message = _message(messages, "GetItem")
        etree.SubElement(message, q(M, "Items")).append(_item_element(item, wanted))
    return _envelope(root)


#: times a server keeps and answers in UTC, whatever offset they came with
UTC_TIMES = {"Start", "End", "DueDate", "StartDate", "CompleteDate", "DateTimeSent"}


def _props_of(element: etree._Element) -> dict[str, etree._Element]:
    props = {}
    for child in element:
        name = etree.QName(child).localname
        props[name] = _copy(child)
        if name in UTC_TIMES and child.text:
            props[name].text = _utc(child.text)
    return props


def _utc(text: str) -> str:
    from datetime import UTC, datetime

    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_item(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("CreateItem")
    saved = op.find(q(M, "SavedItemFolderId"))
    for element in op.find(q(M, "Items")):
        tag = etree.QName(element).localname
        folder = _find_folder(peer, saved[0]) if saved is not None else None
        if folder is None:
            default = {"Contact": "contacts", "CalendarItem": "calendar", "Task": "tasks"}
            folder = peer.mailbox.folder(default.get(tag, "sentitems"))
        props = _props_of(element)
        mime = props.pop("MimeContent", None)
        if tag == "CalendarItem":
            props.setdefault("UID", _element("UID", f"{uuid.uuid4()}"))
            kind = "RecurringMaster" if "Recurrence" in props else "Single"
            props["CalendarItemType"] = _element("CalendarItemType", kind)
        if tag == "Contact" and "DisplayName" not in props:
            parts = [props[n].text for n in ("GivenName", "Surname") if n in props]
            props["DisplayName"] = _element("DisplayName", " ".join(p or "" for p in parts).strip())
        item = peer.mailbox.put(
            folder,
            props,
            mime=base64.b64decode(mime.text) if mime is not None else None,
        )
        message = _message(messages, "CreateItem")
        items = etree.SubElement(message, q(M, "Items"))
        created = etree.SubElement(items, q(T, tag))
        etree.SubElement(created, q(T, "ItemId"), Id=item.id, ChangeKey=item.change_key)
    return _envelope(root)


def update_item(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("UpdateItem")
    for change in op.find(q(M, "ItemChanges")):
        ref = change[0]  # an ItemId, or an OccurrenceItemId naming one of a series
        item = peer.mailbox.items.get(ref.get("Id") or "")
        series = None
        if item is None:
            try:
                series = occurrences.resolve(peer, ref)
            except occurrences.OccurrenceError as refused:
                _message(messages, "UpdateItem", refused.code, refused.text)
                continue
            if series is not None:
                item = occurrences.make_exception(peer, *series)
        if item is None:
            _message(
                messages,
                "UpdateItem",
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            )
            continue
        if (
            ref.get("ChangeKey")
            and ref.get("ChangeKey") != item.change_key
            and (op.get("ConflictResolution") == "NeverOverwrite")
        ):
            _message(
                messages,
                "UpdateItem",
                "ErrorIrresolvableConflict",
                (
                    "The send or update operation could not be performed because the change"
                    " key passed in the request does not match the current change key for"
                    " the item."
                ),
            )
            continue
        props: dict[str, etree._Element] = {}
        removed: list[str] = []
        for update in change.find(q(T, "Updates")):
            kind = etree.QName(update).localname
            uri = update[0]
            path = uri.get("FieldURI") or ""
            if kind in ("SetItemField", "AppendToItemField"):
                value = update[1][0]
                name = etree.QName(value).localname
                if etree.QName(uri).localname == "IndexedFieldURI":
                    collection = props.get(name) or _copy(item.props.get(name, value))
                    for entry in value:
                        for old in collection.findall(q(T, "Entry")):
                            if old.get("Key") == entry.get("Key"):
                                collection.remove(old)
                        collection.append(_copy(entry))
                    props[name] = collection
                else:
                    props[name] = _copy(value)
                    if name in UTC_TIMES and value.text:
                        props[name].text = _utc(value.text)
            elif kind == "DeleteItemField":
                if etree.QName(uri).localname == "IndexedFieldURI":
                    name = INDEXED.get(path, path)
                    collection = props.get(name) or item.props.get(name)
                    if collection is not None:
                        collection = _copy(collection)
                        for old in collection.findall(q(T, "Entry")):
                            if old.get("Key") == uri.get("FieldIndex"):
                                collection.remove(old)
                        props[name] = collection
                else:
                    removed.append(path.rpartition(":")[2])
        with peer.mailbox.lock:
            for name in removed:
                item.props.pop(name, None)
            if series is not None:
                # an occurrence: changed as the series' exception, the master changes
                item.props.update(props)
                item.change_key = f"CK{int(item.change_key[2:]) + 1}"
                item.props["LastModifiedTime"] = _element("LastModifiedTime", now_text())
                occurrences.record_exception(peer, series[0], item, series[2])
            elif item.tag == "CalendarItem":
                recurring = "Recurrence" in {**item.props, **props}
                props["CalendarItemType"] = _element(
                    "CalendarItemType", "RecurringMaster" if recurring else "Single"
                )
            if series is None:
                peer.mailbox.put(
                    item.folder_id and peer.mailbox.folders[item.folder_id], props, item_id=item.id
                )
        message = _message(messages, "UpdateItem")
        items = etree.SubElement(message, q(M, "Items"))
        updated = etree.SubElement(items, q(T, item.tag))
        etree.SubElement(updated, q(T, "ItemId"), Id=item.id, ChangeKey=item.change_key)
        conflicts = etree.SubElement(message, q(M, "ConflictResults"))
        etree.SubElement(conflicts, q(T, "Count")).text = "0"
    return _envelope(root)


def delete_item(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("DeleteItem")
    for ref in op.find(q(M, "ItemIds")):
        if ref.get("Id") not in peer.mailbox.items:
            try:
                series = occurrences.resolve(peer, ref)
            except occurrences.OccurrenceError as refused:
                _message(messages, "DeleteItem", refused.code, refused.text)
                continue
            if series is not None:
                occurrences.delete_occurrence(peer, series[0], series[2])
                _message(messages, "DeleteItem")
                continue
            _message(
                messages,
                "DeleteItem",
                "ErrorItemNotFound",
                "The specified object was not found in the store.",
            )
            continue
        peer.mailbox.remove(ref.get("Id"))
        _message(messages, "DeleteItem")
    return _envelope(root)


def resolve_names(peer: EwsPeer, op: etree._Element) -> bytes:
    root, messages = _response("ResolveNames")
    wanted = (op.findtext(q(M, "UnresolvedEntry")) or "").lower()
    matches = [a for a in peer.users if wanted and (a.startswith(wanted) or wanted in a)]
    if not matches:
        _message(messages, "ResolveNames", "ErrorNameResolutionNoResults", "No results were found.")
        return _envelope(root)
    message = _message(messages, "ResolveNames")
    view = etree.SubElement(
        message,
        q(M, "ResolutionSet"),
        TotalItemsInView=str(len(matches)),
        IncludesLastItemInRange="true",
    )
    for address in matches:
        resolution = etree.SubElement(view, q(T, "Resolution"))
        mailbox = etree.SubElement(resolution, q(T, "Mailbox"))
        etree.SubElement(mailbox, q(T, "Name")).text = address.split("@")[0].title()
        etree.SubElement(mailbox, q(T, "EmailAddress")).text = address
        etree.SubElement(mailbox, q(T, "RoutingType")).text = "SMTP"
        etree.SubElement(mailbox, q(T, "MailboxType")).text = "Mailbox"
    return _envelope(root)


def convert_id(peer: EwsPeer, op: etree._Element) -> bytes:
    """Clients probe the server's version with a ConvertId of a dummy id: the answer's
    header carries the version, its message the error for the id."""
    root, messages = _response("ConvertId")
    for _ref in op.find(q(M, "SourceIds")):
        _message(messages, "ConvertId", "ErrorInvalidIdMalformed", "Id is malformed.")
    return _envelope(root)


OPERATIONS = {
    "GetFolder": get_folder,
    "FindFolder": find_folder,
    "SyncFolderItems": sync_folder_items,
    "GetItem": get_item,
    "CreateItem": create_item,
    "UpdateItem": update_item,
    "DeleteItem": delete_item,
    "ResolveNames": resolve_names,
    "ConvertId": convert_id,
}


def answer(peer: EwsPeer, name: str, op: etree._Element) -> tuple[int, bytes]:
    handler = OPERATIONS.get(name)
    if handler is None:
        root, messages = _response(name)
        _message(messages, name, "ErrorInvalidRequest", f"{name} is not served by this peer")
        return 200, _envelope(root)
    return 200, handler(peer, op)


def autodiscover(peer: EwsPeer, request: etree._Element, op: etree._Element) -> tuple[int, bytes]:
    """SOAP autodiscover's GetUserSettings, as the reference's example response."""
    mailboxes = [m.text for m in op.iter(q(A, "Mailbox"))]
    envelope = etree.Element(q(S, "Envelope"), nsmap={"s": S, "a": WSA})
    header = etree.SubElement(envelope, q(S, "Header"))
    action = etree.SubElement(header, q(WSA, "Action"))
    action.text = "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse"
    info = etree.SubElement(header, q(A, "ServerVersionInfo"), nsmap={"h": A})
    for name, value in (
        ("MajorVersion", "15"),
        ("MinorVersion", "1"),
        ("MajorBuildNumber", "2507"),
        ("MinorBuildNumber", "6"),
        ("Version", "Exchange2015"),
    ):
        etree.SubElement(info, q(A, name)).text = value
    body = etree.SubElement(envelope, q(S, "Body"))
    message = etree.SubElement(body, q(A, "GetUserSettingsResponseMessage"), nsmap={None: A})
    response = etree.SubElement(message, q(A, "Response"), nsmap={"i": XSI})
    etree.SubElement(response, q(A, "ErrorCode")).text = "NoError"
    etree.SubElement(response, q(A, "ErrorMessage"))
    users = etree.SubElement(response, q(A, "UserResponses"))
    for address in mailboxes:
        user = etree.SubElement(users, q(A, "UserResponse"))
        known = (address or "").lower() in peer.users
        etree.SubElement(user, q(A, "ErrorCode")).text = "NoError" if known else "InvalidUser"
        etree.SubElement(user, q(A, "ErrorMessage")).text = (
            "No error." if known else f"Invalid user: '{address}'"
        )
        etree.SubElement(user, q(A, "RedirectTarget"), {q(XSI, "nil"): "true"})
        etree.SubElement(user, q(A, "UserSettingErrors"))
        if not known:
            continue
        settings = etree.SubElement(user, q(A, "UserSettings"))
        for name, value in (
            ("AutoDiscoverSMTPAddress", address),
            ("ExternalEwsUrl", peer.url),
            ("InternalEwsUrl", peer.url),
            (
                "EwsSupportedSchemas",
                (
                    "Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1,"
                    " Exchange2010_SP2, Exchange2013, Exchange2013_SP1, Exchange2016"
                ),
            ),
        ):
            setting = etree.SubElement(
                settings, q(A, "UserSetting"), {q(XSI, "type"): "StringSetting"}
            )
            etree.SubElement(setting, q(A, "Name")).text = name
            etree.SubElement(setting, q(A, "Value")).text = value
    return 200, etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def stamp() -> str:
    return now_text()
