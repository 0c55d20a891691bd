"""The CRM's responsiveness while an import runs (issue 16 point 4): a user's requests
of ``make bench-quick``'s sizes — a lead by id, a list page of 80, the email search
box, creating a lead — one after another from one client with a short pause between
them, each timed; p50, p99 and the worst per kind.

Used by bench/imports.py: :class:`Probe` runs in a thread beside the import.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from typing import Any

import httpx

from bench.load import percentile

PAUSE_S = 0.05


class Probe(threading.Thread):
    """Requests of each kind in turn until :meth:`stop`; :meth:`figures` after."""

    def __init__(self, base_url: str, token: str):
        super().__init__(daemon=True)
        self.client = httpx.Client(
            base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
        self.stopping = threading.Event()
        self.times: dict[str, list[float]] = {"get": [], "list": [], "search": [], "create": []}
        self.errors: dict[str, int] = {}
        self.lead_id: str | None = None
        self.email: str | None = None

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)
        self.client.close()

    def _timed(self, kind: str, method: str, url: str, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            return None
        self.times[kind].append((time.perf_counter() - started) * 1000)
        if response.status_code >= 400:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            return None
        return response.json()

    def run(self) -> None:
        for n in itertools.count():
            if self.stopping.is_set():
                return
            kind = ("create", "get", "list", "search")[n % 4]
            if kind == "create":
                email = f"probe{n}.{uuid.uuid4().hex[:6]}@probe.test"
                made = self._timed(
                    kind,
                    "POST",
                    "/api/v1/leads",
                    json={"contact_name": f"Probe {n}", "email": email},
                )
                if made:
                    self.lead_id, self.email = made["id"], email
            elif kind == "get" and self.lead_id:
                self._timed(kind, "GET", f"/api/v1/leads/{self.lead_id}")
            elif kind == "list":
                self._timed(kind, "GET", "/api/v1/leads", params={"limit": 80})
            elif kind == "search":
                self._timed(
                    kind, "GET", "/api/v1/leads", params={"q": self.email or "x@probe.test"}
                )
            time.sleep(PAUSE_S)

    def figures(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        everything: list[float] = []
        for kind, values in self.times.items():
            everything += values
            if values:
                out[kind] = {
                    "n": len(values),
                    "p50_ms": round(percentile(values, 0.5), 1),
                    "p99_ms": round(percentile(values, 0.99), 1),
                    "max_ms": round(max(values), 1),
                }
        if everything:
            out["all"] = {
                "n": len(everything),
                "p50_ms": round(percentile(everything, 0.5), 1),
                "p99_ms": round(percentile(everything, 0.99), 1),
                "max_ms": round(max(everything), 1),
            }
        out["errors"] = self.errors
        return out
