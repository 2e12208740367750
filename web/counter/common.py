"""The console's page layout: every screen renders from ``templates/counter/``."""

from __future__ import annotations

from typing import Any

from flask import render_template


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A console page from ``templates/counter/``."""
    return render_template(f"counter/{template}", **context), status
