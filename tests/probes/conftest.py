"""The probes reuse the console's app and signed-in users and the API's keys, not copies."""

from __future__ import annotations

# Imported fixtures are fixtures here too: the console's app (five users of two departments,
# CSRF and rate limits on, as in production) and the API keys of each scope.
from tests.web.api.conftest import api, keys  # noqa: F401
from tests.web.counter.conftest import app, clerk, console  # noqa: F401
