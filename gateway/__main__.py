"""``python -m gateway``: serve the API on OSPREY_HTTP_HOST:OSPREY_HTTP_PORT."""

from __future__ import annotations

import uvicorn

from services.platform.config import settings


def main() -> None:
    s = settings()
    uvicorn.run(
        "gateway.app:app",
        host=s.http_host,
        port=s.http_port,
        proxy_headers=True,
        server_header=False,
        log_level="info",
    )


if __name__ == "__main__":
    main()
