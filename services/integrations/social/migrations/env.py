from services.integrations.social.models import metadata
from services.platform.migrations import run_env

run_env(metadata)
