"""The sales rules: pure functions, no SQLAlchemy, no Nameko, no I/O.

One module per topic (records and their lists, accounts and contacts, merges,
opportunities, stages, tactics, the pipeline board, activities, forecasts); the parts
load and store, these decide. Everything is reachable as ``domain.<name>``.
"""

# The field framework lives in the platform; these names stay reachable as
# ``domain.<name>`` for the sales parts.
from services.platform.fields import (  # noqa: F401
    CENT,
    Entity,
    EntityField,
    Invalid,
    changed_fields,
    check_record,
    failed,
    normalize_value,
    parse_date,
    parse_datetime,
    parse_money,
    parse_quantity,
)
from services.platform.values import (  # noqa: F401
    is_uuid,
    normalize_email,
    normalize_phone,
    parse_expected_version,
    validation_failed,
)

from .accounts import *  # noqa: F403
from .activities import *  # noqa: F403
from .emails import *  # noqa: F403
from .forecasts import *  # noqa: F403
from .merges import *  # noqa: F403
from .opportunities import *  # noqa: F403
from .pipeline import *  # noqa: F403
from .records import *  # noqa: F403
from .stages import *  # noqa: F403
from .tactics import *  # noqa: F403
