"""Bare stand-ins for the registered services a social test does not use, in one
process, so that ``/readyz`` finds every service served:
``python -m tests.integrations.social_stand_ins sales orders ...``."""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

import sys  # noqa: E402

from nameko.cli.run import run as nameko_run  # noqa: E402

from services.platform.config import nameko_config  # noqa: E402
from tests.gateway.fake_services import stand_in  # noqa: E402

if __name__ == "__main__":
    nameko_run([stand_in(name) for name in sys.argv[1:]], nameko_config())
