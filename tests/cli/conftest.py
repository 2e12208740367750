"""Run the ``tracker`` command against a real database on each backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tracker.db import Database
from web.cli import main

Run = Callable[..., Result]


@pytest.fixture
def run(database: Database, tmp_path: Path) -> Run:
    """``run("catalogue", "load", path)`` → the result of the command on this test's database."""
    runner = CliRunner()
    env = {"DATABASE_URL": database.url, "TRACKER_INSTANCE": str(tmp_path / "instance")}

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)

    return invoke
