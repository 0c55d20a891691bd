from services.platform.migrations import run_env
from services.processes.models import metadata

run_env(metadata)
