"""The google service's fixtures (tests/integrations/google_support.py) for its tests."""

from ..google_support import crm, google_config, peer  # noqa: F401
