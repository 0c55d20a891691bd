"""Everything the google service talks to outside its database, each behind one class:
Google's APIs (:class:`GoogleAdapter`: google-api-python-client for People v1, Calendar
v3 and Gmail v1, built from the discovery documents the library ships; google-auth and
google-auth-oauthlib for tokens and the authorization-code flow), the encryption keys
(:class:`Secrets`) and the service's settings (:class:`GoogleConfig`).

A Google failure is a :class:`GoogleError` with a ``kind`` (:data:`.domain.FAILURES`)
the owner reads in words; nothing here logs a token.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import google_auth_httplib2
import httplib2
import requests
from google_auth_oauthlib.flow import Flow
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.integrations.sync.crypto import SecretBox
from services.platform.db import Database

from . import domain
from .models import metadata

log = logging.getLogger(__name__)

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


class GoogleError(Exception):
    """Google failed: ``kind`` ∈ domain.FAILURES (or ``expired``, ``gone``,
    ``not_found``, ``stale`` that a sync step handles itself), ``status`` the HTTP
    status, ``reason`` Google's reason, ``retry_after`` seconds when Google said."""

    def __init__(
        self,
        kind: str,
        detail: str = "",
        *,
        status: int | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class GoogleSettings:
    client_id: str | None
    client_secret: str | None
    #: where Google sends the user back with the code (the web app's callback page)
    redirect_uri: str
    auth_uri: str
    token_uri: str
    #: the APIs' root URL (None: Google's own, from the discovery documents)
    api_root: str | None
    timeout: float
    poll_seconds: float
    lease_seconds: float
    concurrency: int
    runner: bool
    page_size: int

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def __repr__(self) -> str:  # never the client secret
        return f"GoogleSettings(client_id={self.client_id!r}, api_root={self.api_root!r})"


def load_settings(config: dict[str, Any], environ: dict[str, str] | None = None) -> GoogleSettings:
    """Container config ``GOOGLE_*`` first, else ``OSPREY_GOOGLE_*`` from the environment."""
    env = environ if environ is not None else os.environ

    def get(name: str, default: Any = None) -> Any:
        if f"GOOGLE_{name}" in config:
            return config[f"GOOGLE_{name}"]
        return env.get(f"OSPREY_GOOGLE_{name}", default)

    def flag(value: Any) -> bool:
        return str(value).lower() not in ("0", "false", "no", "off", "")

    return GoogleSettings(
        client_id=get("CLIENT_ID") or None,
        client_secret=get("CLIENT_SECRET") or None,
        redirect_uri=get("REDIRECT_URI", "http://127.0.0.1:8000/settings/google/callback"),
        auth_uri=get("AUTH_URI", GOOGLE_AUTH_URI),
        token_uri=get("TOKEN_URI", GOOGLE_TOKEN_URI),
        api_root=get("API_ROOT") or None,
        timeout=float(get("TIMEOUT", 30)),
        poll_seconds=float(get("POLL_SECONDS", 300)),
        lease_seconds=float(get("LEASE_SECONDS", 300)),
        concurrency=int(get("CONCURRENCY", 10)),
        runner=flag(get("SYNC", "true")),
        page_size=int(get("PAGE_SIZE", 200)),
    )


def _loopback(url: str) -> bool:
    host = (url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]).strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def classify(exc: BaseException) -> GoogleError:
    """Any failure of a call to Google as a :class:`GoogleError`."""
    if isinstance(exc, GoogleError):
        return exc
    if isinstance(exc, HttpError):
        status = int(exc.resp.status)
        reasons: list[str] = []
        try:
            error = json.loads(exc.content or b"{}").get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if isinstance(error, dict):
            reasons += [e.get("reason") for e in error.get("errors") or [] if e.get("reason")]
            reasons += [d.get("reason") for d in error.get("details") or [] if d.get("reason")]
        reason = reasons[0] if reasons else None
        retry = exc.resp.get("retry-after")
        retry_after = float(retry) if retry and str(retry).isdigit() else None
        detail = f"HTTP {status} {reason or ''}".strip()
        if "EXPIRED_SYNC_TOKEN" in reasons or (status == 410 and "deleted" not in reasons):
            return GoogleError("expired", detail, status=status, reason=reason)
        if status == 410:
            return GoogleError("gone", detail, status=status, reason=reason)
        if status == 429 or (
            status == 403 and {"rateLimitExceeded", "userRateLimitExceeded"} & set(reasons)
        ):
            return GoogleError(
                "throttled", detail, status=status, reason=reason, retry_after=retry_after
            )
        if status == 401:
            return GoogleError("revoked", detail, status=status, reason=reason)
        if status == 403:
            return GoogleError("denied", detail, status=status, reason=reason)
        if status == 404:
            return GoogleError("not_found", detail, status=status, reason=reason)
        if status in (409, 412) or (status == 400 and "FAILED_PRECONDITION" in str(error)):
            return GoogleError("stale", detail, status=status, reason=reason)
        return GoogleError("protocol", detail, status=status, reason=reason)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        text = str(exc)
        if "invalid_grant" in text or "unauthorized_client" in text or "invalid_client" in text:
            return GoogleError("revoked", text[:200])
        return GoogleError("unreachable", text[:200])
    if isinstance(
        exc,
        socket.timeout
        | TimeoutError
        | ConnectionError
        | OSError
        | httplib2.HttpLib2Error
        | requests.RequestException
        | google.auth.exceptions.TransportError,
    ):
        return GoogleError("unreachable", f"{type(exc).__name__}: {exc}"[:200])
    return GoogleError("protocol", f"{type(exc).__name__}: {exc}"[:200])


class BuiltOnce:
    """A discovery client whose nested resources (``people()``, ``events()``,
    ``connections()``...) are built once per session: google-api-python-client builds
    one anew on every call, every method with its documentation (a profile of an
    incremental sync found an eighth of its time there)."""

    def __init__(self, resource: Any):
        self._resource = resource
        self._nested: dict[str, BuiltOnce] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._resource, name)
        if name not in (getattr(self._resource, "_resourceDesc", {}).get("resources") or {}):
            return attr

        def nested() -> BuiltOnce:
            if name not in self._nested:
                self._nested[name] = BuiltOnce(attr())
            return self._nested[name]

        return nested


class GoogleSession:
    """One account's access: a fresh access token and the three API clients."""

    def __init__(self, credentials: Any, settings: GoogleSettings):
        self.credentials = credentials
        self.settings = settings
        self._http: Any = None

    def client(self, name: str) -> Any:
        """``people``, ``calendar`` or ``gmail``: a client built from the discovery
        document shipped in google-api-python-client (no discovery request), once per
        process and API root; its requests go out through this session's credentials
        (:meth:`call`)."""
        return built_client(name, self.settings.api_root)

    def call(self, request: Any) -> dict[str, Any]:
        """Run one request built on a client; its JSON, or a :class:`GoogleError`.
        Retries are ours (the sync backs off and resumes), not the library's."""
        if self._http is None:
            self._http = google_auth_httplib2.AuthorizedHttp(
                self.credentials, http=httplib2.Http(timeout=self.settings.timeout)
            )
        try:
            return request.execute(http=self._http, num_retries=0) or {}
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed one
            raise classify(exc) from exc


#: discovery clients by API and root: building one (and each nested resource) costs
#: milliseconds of documentation formatting; a request names its own ``http``
_BUILT: dict[tuple[str, str | None], BuiltOnce] = {}


def built_client(name: str, api_root: str | None) -> BuiltOnce:
    """The process' client of ``people``, ``calendar`` or ``gmail`` at ``api_root``
    (Google's when None). Its own ``http`` carries no credentials and is never used:
    :meth:`GoogleSession.call` executes every request with the session's."""
    key = (name, api_root)
    if key not in _BUILT:
        version = {"people": "v1", "calendar": "v3", "gmail": "v1"}[name]
        options = None
        if api_root:
            # the endpoint replaces root URL and service path: keep the path, so one
            # root serves the three APIs at the paths Google serves them at
            path = {"people": "", "calendar": "calendar/v3/", "gmail": ""}[name]
            options = {"api_endpoint": api_root.rstrip("/") + "/" + path}
        _BUILT[key] = BuiltOnce(
            build(
                name,
                version,
                http=httplib2.Http(timeout=1),
                static_discovery=True,
                cache_discovery=False,
                client_options=options,
            )
        )
    return _BUILT[key]


class GoogleAdapter:
    """Google's OAuth 2.0 and APIs for the service; a test points it at a local peer
    through the settings (``OSPREY_GOOGLE_API_ROOT``, ``…_AUTH_URI``, ``…_TOKEN_URI``)."""

    def __init__(self, settings: GoogleSettings):
        self.settings = settings
        #: access tokens by the refresh token's hash: ``(token, expiry)`` (naive UTC,
        #: as google-auth keeps it)
        self._tokens: dict[str, tuple[str, datetime]] = {}
        if _loopback(settings.token_uri):
            # oauthlib refuses plain HTTP; a token endpoint on this machine (a local
            # peer) needs no TLS. Never set for a remote one.
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

    def _require(self) -> None:
        if not self.settings.configured:
            from services.platform.errors import Unavailable

            raise Unavailable(domain.failure_words("not_configured"))

    def _flow(self, redirect_uri: str, state: str | None = None) -> Flow:
        s = self.settings
        config = {
            "web": {
                "client_id": s.client_id,
                "client_secret": s.client_secret,
                "auth_uri": s.auth_uri,
                "token_uri": s.token_uri,
                "redirect_uris": [redirect_uri],
            }
        }
        return Flow.from_client_config(
            config, scopes=list(domain.SCOPES), redirect_uri=redirect_uri, state=state
        )

    def authorization_url(self, state: str, redirect_uri: str) -> tuple[str, str | None]:
        """The consent screen's URL (offline access, so a refresh token comes back) and
        the PKCE code verifier to keep until the code returns."""
        self._require()
        flow = self._flow(redirect_uri, state)
        url, _state = flow.authorization_url(
            access_type="offline", prompt="consent", include_granted_scopes="true"
        )
        return url, flow.code_verifier

    def exchange_code(
        self, code: str, state: str, redirect_uri: str, code_verifier: str | None
    ) -> dict[str, Any]:
        """Trade the authorization code for tokens: ``{refresh_token, access_token,
        expiry, scopes}``. Raises ``GoogleError`` (``revoked``: a used or wrong code)."""
        self._require()
        flow = self._flow(redirect_uri, state)
        flow.code_verifier = code_verifier
        try:
            flow.fetch_token(code=code)
        except Exception as exc:  # noqa: BLE001
            text = str(exc)
            if "invalid_grant" in text or "invalid_client" in text:
                raise GoogleError("revoked", text[:200]) from exc
            raise classify(exc) from exc
        creds = flow.credentials
        return {
            "refresh_token": creds.refresh_token,
            "access_token": creds.token,
            "expiry": creds.expiry,
            "scopes": list(creds.scopes or domain.SCOPES),
        }

    def session(self, refresh_token: str, access_token: str | None = None) -> GoogleSession:
        """An account's session. Its access token is kept in this process until a minute
        before it expires (a sync then costs no token round trip); else it is refreshed
        now (``revoked`` when Google refuses the refresh token). A token revoked
        meanwhile is refused by the API (401), refreshed once by the transport, and
        that refusal is ``revoked`` too."""
        self._require()
        s = self.settings
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        expiry = None
        if access_token is None:
            cached = self._tokens.get(key)
            if cached and cached[1] - timedelta(seconds=60) > datetime.now(UTC).replace(
                tzinfo=None
            ):
                access_token, expiry = cached
        creds = google.oauth2.credentials.Credentials(
            token=access_token,
            refresh_token=refresh_token,
            token_uri=s.token_uri,
            client_id=s.client_id,
            client_secret=s.client_secret,
            expiry=expiry,
        )
        if access_token is None:
            try:
                creds.refresh(google.auth.transport.requests.Request())
            except Exception as exc:  # noqa: BLE001
                self._tokens.pop(key, None)
                raise classify(exc) from exc
            if creds.expiry is not None:
                self._tokens[key] = (creds.token, creds.expiry)
        return GoogleSession(creds, s)

    def forget(self, refresh_token: str) -> None:
        """Drop the access token kept for this refresh token (it was refused)."""
        self._tokens.pop(hashlib.sha256(refresh_token.encode()).hexdigest(), None)


class GoogleConfig(DependencyProvider):
    """Injects :class:`GoogleSettings`."""

    def setup(self) -> None:
        self.value = load_settings(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> GoogleSettings:
        return self.value


class Secrets(DependencyProvider):
    """Injects the :class:`SecretBox`: container config ``SECRET_KEYS``, else
    ``OSPREY_SECRET_KEYS``."""

    def setup(self) -> None:
        keys = self.container.config.get("SECRET_KEYS")
        if keys is None:
            self.box = SecretBox.from_env()
        else:
            self.box = SecretBox(keys if isinstance(keys, list) else keys.split(","))

    def get_dependency(self, worker_ctx: Any) -> SecretBox:
        return self.box


class Google(DependencyProvider):
    """Injects the :class:`GoogleAdapter`; a test may replace ``adapter_class``."""

    adapter_class = GoogleAdapter

    def setup(self) -> None:
        self.adapter = self.adapter_class(load_settings(self.container.config))

    def get_dependency(self, worker_ctx: Any) -> GoogleAdapter:
        return self.adapter


class GoogleBase:
    """The providers every part of the google service uses, and nothing else."""

    name = "google"

    db = Database(metadata)
    google_settings = GoogleConfig()
    secrets = Secrets()
    google = Google()
    sales_rpc = RpcProxy("sales")
    mail_rpc = RpcProxy("mail")
    identity_rpc = RpcProxy("identity")
