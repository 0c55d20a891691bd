"""Liveness and readiness, for process supervisors and load balancers."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg2
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.platform.config import settings
from services.platform.registry import SERVICES

from ..auth import rpc_client
from ..problems import problem_response
from ..rpc import RpcClient
from ..schemas import HealthOut

router = APIRouter(tags=["health"])

CHECK_TIMEOUT = 3.0


@router.get("/healthz", response_model=HealthOut, operation_id="check_health")
async def healthz() -> dict[str, Any]:
    """The process is up and serving HTTP."""
    return {"status": "ok", "checks": {}}


@router.get(
    "/readyz",
    response_model=HealthOut,
    responses={503: {"description": "Not ready"}},
    operation_id="check_readiness",
)
async def readyz(rpc: RpcClient = Depends(rpc_client)) -> Any:
    """Ready when the bus, the database and a consumer of every service's RPC queue are."""
    checks: dict[str, str] = {}
    db_check = asyncio.create_task(_database_ok())
    try:
        counts = await asyncio.wait_for(
            asyncio.gather(*(rpc.consumer_count(info.name) for info in SERVICES)), CHECK_TIMEOUT
        )
        checks["bus"] = "ok"
        for info, count in zip(SERVICES, counts, strict=True):
            checks[f"service.{info.name}"] = "ok" if count else "no process serves it"
    except Exception:  # noqa: BLE001 - any failure to ask the broker means "not ready"
        checks["bus"] = "unreachable"
    checks["database"] = await db_check

    failing = [{"field": name, "message": state} for name, state in checks.items() if state != "ok"]
    if failing:
        return problem_response(503, "Osprey is not ready", failing)
    return JSONResponse({"status": "ready", "checks": checks})


async def _database_ok() -> str:
    url = settings().database_url.replace("postgresql+psycopg2://", "postgresql://", 1)

    def probe() -> None:
        conn = psycopg2.connect(url, connect_timeout=int(CHECK_TIMEOUT))
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
        finally:
            conn.close()

    try:
        await asyncio.wait_for(asyncio.to_thread(probe), CHECK_TIMEOUT + 1)
        return "ok"
    except (TimeoutError, psycopg2.Error, OSError):
        return "unreachable"
