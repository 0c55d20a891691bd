"""``python -m gateway.openapi_dump [path]``: the OpenAPI document, without a running
gateway, for client generators (``npm run api-types`` in gateway/web reads it through
``OSPREY_OPENAPI``)."""

from __future__ import annotations

import json
import sys

from .app import create_app


def document_json() -> str:
    return json.dumps(create_app().openapi(), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> None:
    text = document_json()
    if len(argv) > 1:
        with open(argv[1], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv)
