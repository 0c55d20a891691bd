"""The FastAPI application: routers, error mapping, body limit, RPC client life cycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.platform.config import Settings, settings

from . import openapi, problems
from .auth import ActorCache
from .middleware import BodyLimitMiddleware, SecurityHeadersMiddleware, TextHygieneMiddleware
from .routers import (
    accounts,
    activities,
    analytics,
    audit,
    bulk,
    channels,
    contacts,
    emails,
    exchange,
    exports,
    feed,
    files,
    forecasts,
    google,
    health,
    imports,
    invoices,
    lead_process,
    lead_rules,
    lead_shares,
    leads,
    mailboxes,
    meta,
    name_indexes,
    notifications,
    opportunities,
    orders,
    orders_settings,
    process_definitions,
    process_instances,
    process_tasks,
    products,
    record_shares,
    role_rights,
    search,
    session,
    social_admin,
    social_hooks,
    stream,
    tokens,
    users,
    web_forms,
)
from .rpc import RpcClient, RpcFailure
from .static import WebApp
from .stream import StreamHub

log = logging.getLogger(__name__)


def create_app(config: Settings | None = None, web: WebApp | None = None) -> FastAPI:
    config = config or settings()
    web = web or WebApp()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rpc = RpcClient(config.amqp_uri, timeout=config.rpc_timeout)
        app.state.rpc = rpc
        app.state.actor_cache = ActorCache(config.auth_cache_seconds)
        try:
            await rpc.start()
        except RpcFailure:
            # Serve anyway: /healthz is up, /readyz says why not, calls retry the bus.
            log.warning("starting without the message bus; will retry on the first call")
        hub = StreamHub(config.amqp_uri, rpc)
        app.state.stream_hub = hub
        await hub.start(watch_signals=True)
        # The OpenAPI document takes seconds to build (every route's models); build it
        # now, beside serving, so an integrator's first GET of it does not wait for that.
        warmup = asyncio.get_running_loop().run_in_executor(None, app.openapi)
        yield
        warmup.cancel()
        await hub.close()
        await rpc.close()

    app = FastAPI(
        title="Osprey CRM API",
        version="1.0",
        description="The public HTTP API of Osprey, an open-source sales CRM.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
    )
    problems.install(app)

    async def not_found_or_web_app(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            page = web.fallback(request)
            if page is not None:
                return page
        return await problems.on_http(request, exc)

    app.add_exception_handler(StarletteHTTPException, not_found_or_web_app)  # type: ignore[arg-type]
    # added first, so it runs inside the body limit: it reads only bodies within it
    app.add_middleware(TextHygieneMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        limit=config.max_body_bytes,
        limits={files.PATH: files.upload_body_limit(), imports.PATH: imports.upload_body_limit()},
    )
    # outermost: every answer gets the headers, the body limit's and problems' too
    app.add_middleware(SecurityHeadersMiddleware)

    for router in (
        health.router,
        session.router,
        tokens.router,
        users.router,
        role_rights.router,
        leads.router,
        lead_shares.router,
        record_shares.router,
        lead_process.router,
        lead_rules.router,
        web_forms.router,
        audit.router,
        accounts.router,
        contacts.router,
        opportunities.router,
        activities.router,
        forecasts.router,
        products.router,
        orders.router,
        invoices.router,
        orders_settings.router,
        channels.router,
        feed.router,
        mailboxes.router,
        exchange.router,
        google.router,
        emails.router,
        notifications.router,
        files.router,
        imports.router,
        exports.router,
        stream.router,
        meta.router,
        name_indexes.router,
        process_definitions.router,
        process_instances.router,
        process_tasks.router,
        analytics.router,
        search.router,
        social_hooks.router,
        social_admin.router,
        bulk.router,
    ):
        app.include_router(router)

    openapi.install(app)

    @app.get("/", include_in_schema=False)
    async def index() -> Response:
        return web.index()

    return app


app = create_app()
