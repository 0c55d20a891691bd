from services.platform.migrations import run_env
from services.sales.models import metadata

run_env(metadata)
