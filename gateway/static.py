"""The web app: the built single-page app when there is one, else a pointer to the docs."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response

# OSPREY_WEB_DIST serves another build of the app (a second checkout's, a test's own).
DIST = Path(os.environ.get("OSPREY_WEB_DIST") or Path(__file__).resolve().parent / "web" / "dist")

# Paths that belong to the server, never to the web app's client-side router.
_SERVER_PREFIXES = ("/api/", "/healthz", "/readyz", "/hooks/")

LANDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Osprey CRM</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem">
<h1>Osprey CRM</h1>
<p>The web app is not built on this server. The API is here:
<a href="/api/docs">interactive API documentation</a>
(<a href="/api/v1/openapi.json">OpenAPI document</a>).</p>
</body></html>
"""


class WebApp:
    """Serves ``dist/`` files, and ``index.html`` for deep links into the app."""

    def __init__(self, dist: Path = DIST):
        self.dist = dist.resolve()

    @property
    def built(self) -> bool:
        return (self.dist / "index.html").is_file()

    def index(self) -> Response:
        if self.built:
            return FileResponse(self.dist / "index.html", headers={"Cache-Control": "no-cache"})
        return HTMLResponse(LANDING_PAGE)

    def fallback(self, request: Request) -> Response | None:
        """The response for a GET no route matched, or None for a plain 404."""
        path = request.url.path
        if request.method not in ("GET", "HEAD") or not self.built:
            return None
        if path.startswith(_SERVER_PREFIXES):
            return None
        candidate = (self.dist / path.lstrip("/")).resolve()
        if candidate.is_relative_to(self.dist) and candidate.is_file():
            # Vite names built assets by content hash, so they never change in place.
            immutable = candidate.is_relative_to(self.dist / "assets")
            headers = (
                {"Cache-Control": "public, max-age=31536000, immutable"} if immutable else None
            )
            return FileResponse(candidate, headers=headers)
        if "." in path.rsplit("/", 1)[-1]:
            return None  # a missing asset is a 404, not the app's HTML
        return self.index()
