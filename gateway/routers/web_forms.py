"""Web forms and lookups, served by the leads service; the public web-to-lead endpoint.

``POST /api/v1/web-forms/{form_id}/submissions`` is the one route of the API that
needs no login: it does not depend on :func:`gateway.auth.current_actor`, so neither
the token check nor the cookie CSRF check applies to it (the form's allowed origins
do, in the leads service). It takes JSON (``fetch`` from the website, with CORS) or
``application/x-www-form-urlencoded`` (a plain HTML form: answered with a 303 to the
form's ``redirect_url`` or a small thank-you page). The sender's address is the
connection's, as uvicorn reports it (it honours ``X-Forwarded-For`` only from the
proxies uvicorn trusts: ``FORWARDED_ALLOW_IPS``, by default 127.0.0.1).

The answer never carries the lead or its id: a robot caught by the honeypot gets the
very same answer as a person.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations at run time.

import html
import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import Field

from services.platform import errors

from ..auth import current_actor, rpc_client
from ..problems import also, problem_response, status_for
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import etag, expected_version, require_json
from .records import IF_MATCH_DOC

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]
FormId = Annotated[str, Path(description="The web form's id")]
LookupId = Annotated[str, Path(description="The entry's id")]

#: The lookup lists as the API names them → as the leads service stores them.
LOOKUP_KINDS = {
    "lead-sources": "source",
    "lead-channels": "channel",
    "disqualification-reasons": "disqualification_reason",
    "need-types": "need_type",
    "loss-reasons": "loss_reason",
}
FORM_URLENCODED = "application/x-www-form-urlencoded"
#: Most fields a submission may carry (lead fields, the honeypot, a few to spare).
MAX_FORM_FIELDS = 50
PREFLIGHT_MAX_AGE = "600"


# --- models ------------------------------------------------------------------------------


class LookupCreate(RequestModel):
    code: str = Field(min_length=1, max_length=100, description="lower_snake_case; fixed")
    name: str = Field(min_length=1, max_length=200)
    position: int | None = None
    is_active: bool | None = None


class LookupUpdate(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    position: int | None = None
    is_active: bool | None = None


class LookupOut(ResponseModel):
    id: str
    kind: str
    code: str
    name: str
    position: int
    is_active: bool
    version: int
    created_at: str | None = None
    updated_at: str | None = None


class LookupList(ResponseModel):
    items: list[LookupOut]
    next_cursor: str | None = None


class WebFormFields(RequestModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    is_active: bool | None = None
    allowed_origins: list[str] | None = Field(
        default=None, description="Origins like https://www.example.com; empty = any site"
    )
    source: str | None = Field(default=None, description="A lead-sources code")
    channel: str | None = Field(default=None, description="A lead-channels code")
    team_id: str | None = None
    owner_id: str | None = None
    honeypot_field: str | None = None
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=10000)
    redirect_url: str | None = Field(default=None, max_length=2000)


class WebFormCreate(WebFormFields):
    name: str = Field(min_length=1, max_length=200)


class WebFormUpdate(WebFormFields):
    pass


class WebFormOut(ResponseModel):
    id: str
    name: str
    is_active: bool
    allowed_origins: list[str]
    source: str | None = None
    channel: str | None = None
    team_id: str | None = None
    owner_id: str | None = None
    honeypot_field: str
    rate_limit_per_minute: int
    redirect_url: str | None = None
    submissions: int
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None
    submit_url: str
    embed_html: str


class WebFormList(ResponseModel):
    items: list[WebFormOut]
    next_cursor: str | None = None


class SubmissionOut(ResponseModel):
    status: str = "received"
    redirect_url: str | None = None


# --- lookups -----------------------------------------------------------------------------


async def lookup_kind(
    kind: str = Path(description="Which list", json_schema_extra={"enum": list(LOOKUP_KINDS)}),
) -> str:
    stored = LOOKUP_KINDS.get(kind)
    if stored is None:
        raise errors.NotFound(
            f"No lookup list named {kind!r}",
            [{"field": "kind", "message": f"must be one of {', '.join(LOOKUP_KINDS)}"}],
        )
    return stored


Kind = Annotated[
    str,
    Depends(lookup_kind),
]


@router.get("/lookups/{kind}", tags=["lookups"], response_model=LookupList, name="list_lookups")
async def list_lookups(
    kind: Kind, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Every entry of a list (`lead-sources`, `lead-channels`, `disqualification-reasons`,
    `need-types`, `loss-reasons`), active ones first, then by position."""
    return await rpc.call("leads", "list_lookups", kind, actor=actor)


def _collection(plural: str, stored: str) -> None:
    """``GET /api/v1/<plural>``: one lookup list as a top-level collection (API.md)."""

    async def list_one(
        actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
    ) -> dict[str, Any]:
        return await rpc.call("leads", "list_lookups", stored, actor=actor)

    router.add_api_route(
        f"/{plural}",
        list_one,
        methods=["GET"],
        tags=["lookups"],
        response_model=LookupList,
        name=f"list_{plural.replace('-', '_')}",
        description=f"The `{plural}` list, as `GET /api/v1/lookups/{plural}` answers it.",
    )


for _plural, _stored in LOOKUP_KINDS.items():
    _collection(_plural, _stored)


@router.post(
    "/lookups/{kind}",
    tags=["lookups"],
    status_code=201,
    response_model=LookupOut,
    dependencies=[Depends(require_json)],
    name="create_lookup",
)
async def create_lookup(
    kind: Kind,
    body: LookupCreate,
    response: Response,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Add an entry (managers and admins); its `code` is what leads store, and never changes."""
    record = await rpc.call("leads", "create_lookup", kind, body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/lookups/{request.path_params['kind']}/{record['id']}"
    response.headers["ETag"] = etag(record)
    return record


@router.patch(
    "/lookups/{kind}/{lookup_id}",
    tags=["lookups"],
    response_model=LookupOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    name="update_lookup",
)
async def update_lookup(
    kind: Kind,
    lookup_id: LookupId,
    body: LookupUpdate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Rename, move or (de)activate an entry (managers and admins)."""
    record = await rpc.call(
        "leads",
        "update_lookup",
        kind,
        lookup_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(record)
    return record


@router.delete(
    "/lookups/{kind}/{lookup_id}",
    tags=["lookups"],
    status_code=204,
    response_class=Response,
    openapi_extra=IF_MATCH_DOC,
    name="delete_lookup",
)
async def delete_lookup(
    kind: Kind,
    lookup_id: LookupId,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Delete an entry nothing uses (409 when leads, web forms or rules carry its code:
    deactivate it instead). A list emptied entirely gets its defaults back."""
    await rpc.call(
        "leads",
        "delete_lookup",
        kind,
        lookup_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    return Response(status_code=204)


# --- web forms: administration -----------------------------------------------------------


def base_url(request: Request) -> str:
    """Where this gateway is reached, for the absolute address in ``embed_html``."""
    return str(request.base_url).rstrip("/")


@router.get("/web-forms", tags=["web forms"], response_model=WebFormList, name="list_web_forms")
async def list_web_forms(
    request: Request, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Every web form with the HTML to paste into a website (admins only)."""
    return await rpc.call("leads", "list_web_forms", actor=actor, base_url=base_url(request))


@router.post(
    "/web-forms",
    tags=["web forms"],
    status_code=201,
    response_model=WebFormOut,
    dependencies=[Depends(require_json)],
    name="create_web_form",
)
async def create_web_form(
    body: WebFormCreate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Create a web form (admins only); answers 201 with its `Location`, `ETag`, `embed_html`."""
    record = await rpc.call(
        "leads", "create_web_form", body.changes(), actor=actor, base_url=base_url(request)
    )
    response.headers["Location"] = f"/api/v1/web-forms/{record['id']}"
    response.headers["ETag"] = etag(record)
    return record


@router.get(
    "/web-forms/{form_id}", tags=["web forms"], response_model=WebFormOut, name="get_web_form"
)
async def get_web_form(
    form_id: FormId,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One web form with its `embed_html` (admins only)."""
    record = await rpc.call(
        "leads", "get_web_form", form_id, actor=actor, base_url=base_url(request)
    )
    response.headers["ETag"] = etag(record)
    return record


@router.patch(
    "/web-forms/{form_id}",
    tags=["web forms"],
    response_model=WebFormOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    name="update_web_form",
)
async def update_web_form(
    form_id: FormId,
    body: WebFormUpdate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change some fields of a web form (admins only); with `If-Match`, only if unchanged."""
    record = await rpc.call(
        "leads",
        "update_web_form",
        form_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
        base_url=base_url(request),
    )
    response.headers["ETag"] = etag(record)
    return record


@router.delete(
    "/web-forms/{form_id}",
    tags=["web forms"],
    status_code=204,
    response_class=Response,
    openapi_extra=IF_MATCH_DOC,
    name="delete_web_form",
)
async def delete_web_form(
    form_id: FormId,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Delete a web form (admins only); the leads it brought stay."""
    await rpc.call(
        "leads",
        "delete_web_form",
        form_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    return Response(status_code=204)


# --- web forms: the public endpoint ------------------------------------------------------

SUBMISSION_DOC: dict[str, Any] = {
    "security": [],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            FORM_URLENCODED: {"schema": {"type": "object", "additionalProperties": True}},
        },
        "description": "Lead fields: contact_name, account_name, email, phone, need_type, "
        "region, notes, utm_source, utm_medium, utm_campaign, utm_term, utm_content, "
        "referrer; plus the form's (empty) honeypot field. At least one of contact_name, "
        "account_name, email, phone.",
    },
}


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def cors_headers(origin: str | None) -> dict[str, str]:
    """Let the page at ``origin`` read the answer (only ever given an accepted origin)."""
    if not origin:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "Retry-After",
        "Vary": "Origin",
    }


async def submission_data(request: Request, media: str) -> dict[str, Any]:
    """The posted fields as a dict; ``ValidationFailed``/415 problems otherwise."""
    body = await request.body()
    if is_json(media):
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise errors.OspreyError("The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise errors.OspreyError("The request body must be a JSON object of lead fields")
        return data
    if media == FORM_URLENCODED:
        try:
            text = body.decode("utf-8")
            pairs = parse_qsl(
                text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FORM_FIELDS
            )
        except UnicodeDecodeError:
            raise errors.OspreyError("The form data is not UTF-8") from None
        except ValueError:
            raise errors.OspreyError(f"The form sent more than {MAX_FORM_FIELDS} fields") from None
        data = {}
        repeated = []
        for name, value in pairs:
            if name in data and name not in repeated:
                repeated.append(name)
            data[name] = value
        if repeated:
            raise errors.ValidationFailed(
                "Some fields were sent more than once",
                [{"field": name, "message": "sent more than once"} for name in repeated],
            )
        return data
    raise UnsupportedMedia()


class UnsupportedMedia(errors.OspreyError):
    status = 415
    title = "Unsupported Media Type"

    def __init__(self) -> None:
        super().__init__(f"Send the form as application/json or {FORM_URLENCODED}")


def wants_html(request: Request, media: str) -> bool:
    """A browser posting a plain HTML form reads pages, not problem documents."""
    return media == FORM_URLENCODED and "text/html" in request.headers.get("accept", "")


def page(title: str, paragraphs: list[str], status: int, headers: dict[str, str]) -> HTMLResponse:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="font-family:sans-serif;max-width:36em;margin:3em auto;padding:0 1em">'
        f"<h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status,
        headers=headers,
    )


def failure(exc: errors.OspreyError, request: Request, media: str, origin: str | None) -> Response:
    status = exc.status if isinstance(exc, UnsupportedMedia) else status_for(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if status in (422, 429):
        # The service checks the origin before the limit and the fields: it was accepted.
        headers.update(cors_headers(origin))
    if wants_html(request, media):
        lines = [exc.message] + [f"{e.get('field')}: {e.get('message')}" for e in exc.errors]
        if status == 422:
            lines.append("Please go back, correct the form and send it again.")
        return page("The form was not sent", lines, status, headers)
    title = exc.title if isinstance(exc, UnsupportedMedia) else None
    return problem_response(status, exc.message, exc.errors, title=title, headers=headers)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/web-forms/{form_id}/submissions",
    tags=["web forms"],
    status_code=202,
    response_model=SubmissionOut,
    responses={
        303: {"description": "A plain HTML form post: on to the form's redirect_url"},
        **also(400, 403, 404, 415, 422, 429),
    },
    openapi_extra=SUBMISSION_DOC,
    name="submit_web_form",
)
async def submit_web_form(
    form_id: FormId, request: Request, rpc: RpcClient = Depends(rpc_client)
) -> Response:
    """Web-to-lead, **no login**: a website's form creates a lead.

    JSON posts get `202 {status, redirect_url}` (with CORS headers for the form's allowed
    origins); plain HTML form posts get a 303 to the form's `redirect_url`, or a small
    thank-you page. 403 for an origin the form does not allow (or none when it lists
    some), 404 for an unknown or inactive form, 422 naming unknown or bad fields, 429
    with `Retry-After` past the form's `rate_limit_per_minute` from one address.
    """
    origin = request.headers.get("origin")
    media = media_type(request)
    try:
        data = await submission_data(request, media)
        result = await rpc.call(
            "leads",
            "submit_web_form",
            form_id,
            data,
            origin=origin,
            client_ip=client_address(request),
            referrer=request.headers.get("referer"),
        )
    except errors.OspreyError as exc:
        return failure(exc, request, media, origin)
    redirect_url = result.get("redirect_url")
    if media == FORM_URLENCODED:
        if redirect_url:
            return RedirectResponse(redirect_url, status_code=303)
        return page("Thank you", ["We have received your message."], 200, {})
    return JSONResponse(
        {"status": "received", "redirect_url": redirect_url},
        status_code=202,
        headers=cors_headers(origin),
    )


@router.options(
    "/web-forms/{form_id}/submissions",
    tags=["web forms"],
    status_code=204,
    response_class=Response,
    responses=also(403, 404),
    name="submit_web_form_preflight",
)
async def submit_web_form_preflight(
    form_id: FormId, request: Request, rpc: RpcClient = Depends(rpc_client)
) -> Response:
    """CORS preflight for JSON posts: allowed for the form's origins only (403 otherwise)."""
    origin = request.headers.get("origin")
    if not origin:
        return Response(status_code=204, headers={"Allow": "OPTIONS, POST"})
    await rpc.call("leads", "check_web_form_origin", form_id, origin)
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type, Accept",
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            "Vary": "Origin",
        },
    )
