"""The ``tracker`` command line (DESIGN §5.2), with ``tracker demo``, the embedded default."""

from web.cli import demo
from web.cli.commands import main

__all__ = ["demo", "main"]
