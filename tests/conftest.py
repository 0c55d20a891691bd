# Nameko's containers run on eventlet: patch before anything imports socket or threading.
import os

import eventlet

# Passwords hashed with argon2's cheap profile in this process and every stack it starts
# (services/identity/domain.py): the real one costs 0.1-0.5 s of a core per user made
# and per login, and the suite makes thousands. The benchmarks keep the real one.
os.environ.setdefault("OSPREY_INSECURE_FAST_PASSWORD_HASHING", "1")

# The browser tests (tests/web) drive Playwright, whose sync API hangs under
# monkey-patching; `make test` runs them in a second pytest with this set.
if not os.environ.get("OSPREY_NO_MONKEY_PATCH"):
    eventlet.monkey_patch()

pytest_plugins = ["services.platform.testing"]
