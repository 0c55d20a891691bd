"""The query parameters of each list, for the OpenAPI document (filled in step 4)."""

from __future__ import annotations

from typing import Any


def document_filters(operation: dict[str, Any]) -> None:
    """Replace the free-form ``filter`` family by one ``filter[<field>]`` per field."""
