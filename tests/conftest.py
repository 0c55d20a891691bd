# Nameko's containers run on eventlet: patch before anything imports socket or threading.
import os

import eventlet

# The browser tests (tests/web) drive Playwright, whose sync API hangs under
# monkey-patching; `make test` runs them in a second pytest with this set.
if not os.environ.get("OSPREY_NO_MONKEY_PATCH"):
    eventlet.monkey_patch()

pytest_plugins = ["services.platform.testing"]
