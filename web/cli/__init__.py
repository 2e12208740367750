"""The ``tracker`` command line (DESIGN §5.2), with ``tracker demo``, the embedded default.

Each module adds its commands to the ``main`` group (web.cli.base); importing them here
registers them all.
"""

from web.cli import accounts, calendar, catalogue, deadline, demo, privacy
from web.cli.base import main

__all__ = ["accounts", "calendar", "catalogue", "deadline", "demo", "main", "privacy"]
