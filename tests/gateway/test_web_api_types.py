"""The web app's API types are generated from the OpenAPI document (issue 20): the
web app's api layer (gateway/web/src/core/api.ts) type-checks against what
openapi-typescript makes of today's document. The committed copy the rest of the web
app builds with, src/core/openapi.d.ts, is refreshed by ``npm run api-types``
(:data:`REFRESH`) whenever the API changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.openapi_dump import document_json

WEB = Path(__file__).resolve().parents[2] / "gateway" / "web"
BIN = WEB / "node_modules" / ".bin"
REFRESH = (
    ".venv/bin/python -m gateway.openapi_dump /tmp/openapi.json && cd gateway/web && "
    "OSPREY_OPENAPI=/tmp/openapi.json npm run api-types"
)
TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "lib": ["ES2022", "DOM"],
        "module": "ESNext",
        "moduleResolution": "bundler",
        "strict": True,
        "noEmit": True,
        "types": [],
    },
    "files": ["api.ts"],
}


@pytest.mark.skipif(
    not (BIN / "openapi-typescript").exists() or not shutil.which("node"), reason="npm ci first"
)
def test_the_web_apps_api_layer_type_checks_against_todays_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(document_json(), encoding="utf-8")
    generated = subprocess.run(
        [str(BIN / "openapi-typescript"), str(document), "-o", str(tmp_path / "openapi.d.ts")],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    api = (WEB / "src" / "core" / "api.ts").read_text()
    assert 'from "./openapi"' in api  # the api layer takes its types from the document
    (tmp_path / "api.ts").write_text(api)
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    checked = subprocess.run(
        [str(BIN / "tsc"), "-p", str(tmp_path)],
        cwd=WEB,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
