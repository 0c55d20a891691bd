from services.integrations.exchange.models import metadata
from services.platform.migrations import run_env

run_env(metadata)
