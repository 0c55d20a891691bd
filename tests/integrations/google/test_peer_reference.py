"""The Google peer's answers held against Google's published reference (issue 15 point
8): what Google documents, not what google-api-python-client happens to accept.

Sources (the structure is pinned here, not their text):

- Calendar v3 ``events.list`` response (developers.google.com, Events: list): ``kind``
  ``calendar#events``, ``etag``, ``summary``, ``updated``, ``timeZone``, ``accessRole``,
  ``defaultReminders``, ``items``, and ``nextPageToken`` on every page but the last,
  ``nextSyncToken`` on the last only ("Synchronize resources efficiently").
- Calendar "Handle API errors": every error is ``{"error": {"errors": [{domain, reason,
  message, ...}], "code", "message"}}``; an invalid sync token is ``410`` with reason
  ``fullSyncRequired`` (domain ``global``); ``403`` ``rateLimitExceeded`` and ``429``
  ``rateLimitExceeded`` come from the ``usageLimits`` domain; ``401`` is ``authError``.
- People v1 ``people.connections.list`` (ListConnectionsResponse): ``connections``,
  ``nextPageToken``, ``nextSyncToken``, ``totalPeople``, ``totalItems``; an expired sync
  token is a ``400`` ``FAILED_PRECONDITION`` whose details hold a
  ``google.rpc.ErrorInfo`` with reason ``EXPIRED_SYNC_TOKEN``.

Raw HTTP against the peer: no client library smoothing anything over.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.integrations.google_peer import GooglePeer

TOKEN = "ya29.reference-test"
EVENTS_KEYS = {
    "kind",
    "etag",
    "summary",
    "updated",
    "timeZone",
    "accessRole",
    "defaultReminders",
    "items",
}
CONNECTIONS_KEYS = {"connections", "nextPageToken", "nextSyncToken", "totalPeople", "totalItems"}


@pytest.fixture
def peer() -> Any:
    with GooglePeer() as running:
        running.access_tokens[TOKEN] = running.email
        yield running


def get(peer: GooglePeer, path: str, token: str = TOKEN) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(peer.url + path)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as failed:
        return failed.code, json.loads(failed.read())


def assert_error(body: dict[str, Any], code: int, domain: str, reason: str) -> None:
    error = body["error"]
    assert error["code"] == code and error["message"]
    assert [(e["domain"], e["reason"]) for e in error["errors"]] == [(domain, reason)]
    assert all(e["message"] for e in error["errors"])


def test_events_list_pages_as_documented(peer):
    for n in range(3):
        peer.put_event(
            summary=f"Call {n}",
            start={"dateTime": "2027-01-04T10:00:00+01:00"},
            end={"dateTime": "2027-01-04T10:30:00+01:00"},
        )
    status, first = get(peer, "calendar/v3/calendars/primary/events?maxResults=2")
    assert status == 200
    assert set(first) >= EVENTS_KEYS and first["kind"] == "calendar#events"
    assert "nextPageToken" in first and "nextSyncToken" not in first
    assert all(e["kind"] == "calendar#event" and e["id"] and e["etag"] for e in first["items"])
    token = first["nextPageToken"]
    _, last = get(peer, f"calendar/v3/calendars/primary/events?maxResults=2&pageToken={token}")
    assert "nextSyncToken" in last and "nextPageToken" not in last
    _, again = get(peer, f"calendar/v3/calendars/primary/events?syncToken={last['nextSyncToken']}")
    assert again["items"] == [] and "nextSyncToken" in again


def test_calendar_errors_are_the_documented_json(peer):
    _, last = get(peer, "calendar/v3/calendars/primary/events")
    peer.expire_sync_tokens()
    status, body = get(
        peer, f"calendar/v3/calendars/primary/events?syncToken={last['nextSyncToken']}"
    )
    assert status == 410
    assert_error(body, 410, "global", "fullSyncRequired")
    status, body = get(peer, "calendar/v3/calendars/primary/events", token="ya29.wrong")
    assert status == 401
    assert_error(body, 401, "global", "authError")
    peer.throttle(1, kind="403")
    status, body = get(peer, "calendar/v3/calendars/primary/events")
    assert status == 403
    assert_error(body, 403, "usageLimits", "rateLimitExceeded")
    peer.throttle(1, kind="429")
    status, body = get(peer, "calendar/v3/calendars/primary/events")
    assert status == 429
    assert_error(body, 429, "usageLimits", "rateLimitExceeded")


def test_people_connections_list_as_documented(peer):
    for n in range(3):
        peer.put_person(f"Ann{n}", "Lee", emails=[f"ann{n}@example.com"])
    fields = "personFields=names,emailAddresses&requestSyncToken=true&pageSize=2"
    status, first = get(peer, f"v1/people/me/connections?{fields}")
    assert status == 200 and set(first) <= CONNECTIONS_KEYS
    assert first["totalPeople"] == 3 and "nextPageToken" in first
    assert all(p["resourceName"].startswith("people/") and p["etag"] for p in first["connections"])
    _, last = get(peer, f"v1/people/me/connections?{fields}&pageToken={first['nextPageToken']}")
    assert "nextSyncToken" in last and "nextPageToken" not in last
    peer.expire_sync_tokens()
    status, body = get(peer, f"v1/people/me/connections?{fields}&syncToken={last['nextSyncToken']}")
    assert status in (400, 410)
    error = body["error"]
    assert error["status"] in ("FAILED_PRECONDITION", "GONE") and error["message"]
    infos = [d for d in error["details"] if d["@type"].endswith("google.rpc.ErrorInfo")]
    assert [i["reason"] for i in infos] == ["EXPIRED_SYNC_TOKEN"]


def test_answers_on_a_kept_alive_connection_are_not_held_back(peer):
    """Google answers a request as soon as it is made: the peer must not hold the body
    of an answer back until the client acknowledges its headers (Nagle's algorithm
    against a delayed ACK: some 40 ms a request), or every benchmark of a sync measures
    that wait. After the first (answered at once: a new connection acknowledges
    quickly), the fastest of nine more round trips on one connection stays well under
    it; held back, every one of them waited."""
    import http.client
    import time
    import urllib.parse

    url = urllib.parse.urlsplit(peer.url)
    connection = http.client.HTTPConnection(url.hostname, url.port)
    path = f"{url.path.rstrip('/')}/calendar/v3/calendars/primary/events"
    took = []
    try:
        for _ in range(10):
            started = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
            answer = connection.getresponse()
            assert answer.status == 200 and answer.read()
            took.append(time.perf_counter() - started)
    finally:
        connection.close()
    assert min(took[1:]) < 0.030, [round(t * 1000, 1) for t in took]
