"""``tracker deadline``: the worked examples of DESIGN §4.3–4.4 come out exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Run


@pytest.mark.parametrize(
    ("args", "due"),
    [
        (["--received", "2026-02-13T10:00", "--limit", "5wd"], "2026-03-02"),
        (["--received", "2026-05-20T09:00", "--limit", "1mo"], "2026-06-22"),
        (
            ["--received", "2026-04-13", "--limit", "5wd", "--pause", "2026-04-14/2026-04-20"],
            "2026-04-24",
        ),
        (
            [
                "--received",
                "2026-04-13",
                "--limit",
                "5wd",
                "--pause",
                "2026-04-14/2026-04-20",
                "--clock",
                "restart",
            ],
            "2026-04-27",
        ),
        (["--received", "2026-04-13T10:00+08:00", "--limit", "4h"], "2026-04-13T14:00:00+08:00"),
        (["--received", "2026-04-13T02:00:00Z", "--limit", "30min"], "2026-04-13T10:30:00+08:00"),
        (["--received", "2026-04-13T23:30", "--limit", "1d"], "2026-04-14"),
    ],
)
def test_worked_examples(run: Run, args: list[str], due: str) -> None:
    assert run("db", "upgrade").exit_code == 0
    result = run("deadline", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == due


def test_closures_in_the_database_count(run: Run) -> None:
    run("db", "upgrade")
    assert run("deadline", "--received", "2026-04-13", "--limit", "5wd").stdout.startswith(
        "2026-04-20"
    )
    from tests.conftest import DATA

    assert run("catalogue", "load", str(DATA / "test-catalogue.yaml")).exit_code == 0
    closed = run("calendar", "close", "2026-04-15", "--reason", "颱風停止上班")
    assert closed.exit_code == 0, closed.output
    assert run("deadline", "--received", "2026-04-13", "--limit", "5wd").stdout.startswith(
        "2026-04-21"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "yesterday", "--limit", "5wd"], "not ISO 8601"),
        (["--received", "2026-04-13", "--limit", "5 weeks"], "not a time limit"),
        (["--received", "2026-04-13", "--limit", "0wd"], "between 1 and"),
        (["--received", "2026-04-13", "--limit", "5wd", "--pause", "2026-04-14"], "FROM/TO"),
        (
            ["--received", "2026-04-13", "--limit", "5wd", "--pause", "2026-04-20/2026-04-14"],
            "cannot arrive before",
        ),
        (["--received", "2026-04-13", "--limit", "5wd", "--clock", "stop"], "'stop' is not one"),
    ],
)
def test_bad_input_is_refused_clearly(run: Run, args: list[str], message: str) -> None:
    result = run("deadline", *args)
    assert result.exit_code != 0
    assert message in result.output


def test_the_installed_command_runs(tmp_path: Path) -> None:
    """The console script itself, as a newcomer types it (no database set up yet)."""
    tracker = Path(sys.executable).with_name("tracker")
    result = subprocess.run(
        [str(tracker), "deadline", "--received", "2026-02-13T10:00", "--limit", "5wd"],
        capture_output=True,
        text=True,
        env={"TRACKER_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "2026-03-02"
    assert "built-in Taiwan calendar" in result.stderr
