"""The leads rules: pure functions, no SQLAlchemy, no Nameko, no I/O.

One module per topic (the lead record, scoring, distribution, the lead process,
duplicates and merges, lookups, web forms); the parts load and store, these decide.
Everything is reachable as ``domain.<name>``.
"""

# The platform's value rules the leads parts use, reachable as ``domain.<name>`` too.
from services.platform.values import is_uuid, parse_expected_version  # noqa: F401

from .distribution import *  # noqa: F403
from .duplicates import *  # noqa: F403
from .lead import *  # noqa: F403
from .lookups import *  # noqa: F403
from .process import *  # noqa: F403
from .scoring import *  # noqa: F403
from .webforms import *  # noqa: F403
