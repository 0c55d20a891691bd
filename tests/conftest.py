# Nameko's containers run on eventlet: patch before anything imports socket or threading.
import eventlet

eventlet.monkey_patch()

pytest_plugins = ["services.platform.testing"]
